# Shortcuts; the scripts are what README and CI use.
.PHONY: demo test bench fmt lint
demo:
	bash scripts/demo.sh
bench:
	bash scripts/bench.sh
test:
	bash scripts/test.sh
fmt:
	cargo fmt --all
lint:
	cargo clippy --workspace --all-targets -- -D warnings
