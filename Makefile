# Shortcuts; the scripts are what README and CI use.
.PHONY: demo test fmt lint
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
fmt:
	cargo fmt --all
lint:
	cargo clippy --workspace --all-targets -- -D warnings
