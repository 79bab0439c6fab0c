#!/usr/bin/env bash
# The demo: ERP Helper doing its main job against the embedded ERP simulator.
# No ERP account needed. Installs what it needs, builds, runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# cargo-installed tools (tauri-driver) live here too.
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --locked --quiet -p erp-mcp -p erp-helper
exec cargo run --locked --quiet -p erp-e2e --example demo
