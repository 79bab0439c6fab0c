#!/usr/bin/env bash
# The long runs, kept out of CI (see RELIABILITY.md): property tests at a
# million cases in all, the fault run (1,000 mixed writes, 10 % of ERP
# requests faulty, the app killed 3 times) and the load run (8 shims × 500
# calls, 8 in flight each, 20 ms ERP latency). Prints the figures and the
# number of property cases run. Sizes can be changed with SOAK_CASES (per
# property test; there are 4), SOAK_WRITES, SOAK_KILLS, SOAK_SHIMS, SOAK_CALLS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --locked --quiet -p erp-mcp -p erp-helper
log=target/soak.log
PROPTEST_CASES="${SOAK_CASES:-250000}" \
SOAK_WRITES="${SOAK_WRITES:-1000}" SOAK_KILLS="${SOAK_KILLS:-3}" \
SOAK_SHIMS="${SOAK_SHIMS:-8}" SOAK_CALLS="${SOAK_CALLS:-500}" \
  cargo test --locked -p erp-e2e --test e2e -- props:: soak:: --nocapture --test-threads=1 2>&1 | tee "$log"
echo
grep -E '^(props|soak): ' "$log"
total=$(grep -oE '^props: [^:]+: [0-9]+ cases' "$log" | awk '{ s += $(NF-1) } END { print s + 0 }')
echo "soak: ${total} property cases run in all"
