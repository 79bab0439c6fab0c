#!/usr/bin/env bash
# The benchmark command: builds the shim and the rmcp floor server with the
# size-tuned profile, the app in release, then runs erp-bench, which prints a
# table and writes bench-results.json. See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# cargo-installed tools (tauri-driver) live here too.
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --locked --quiet --profile release-shim -p erp-mcp
cargo build --locked --quiet --profile release-shim -p erp-bench --bin floor-mcp
cargo build --locked --quiet --release -p erp-helper
exec cargo run --locked --quiet --release -p erp-bench --bin erp-bench -- "$@"
