#!/usr/bin/env bash
# Every check CI runs: formatting, lints, and all tests (unit, wire goldens,
# end to end through the real binaries). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
rustup component list --installed 2>/dev/null | grep -q rustfmt || rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
echo "== cargo test"
# default-members: the core, the shim, the simulator and the end-to-end tests
# (which build erp-mcp and erp-helper themselves).
cargo test --locked
