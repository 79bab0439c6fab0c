#!/usr/bin/env bash
# Runs inside `dbus-run-session` with a private HOME: unlocks a fresh GNOME
# keyring, then signs erp-helper in, restarts it, and signs out, printing what
# the keychain holds at each step. Usage: keychain-scenario.sh ERP_HELPER TOKEN LOG_DIR
set -euo pipefail
app="$1"
token="$2"
logs="$3"
echo -n test-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null
entries() { secret-tool search --all service erp-helper 2>/dev/null | grep -c '^secret = ' || true; }
wait_up() {
  for _ in $(seq 100); do "$app" status >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "app did not start" >&2
  return 1
}
"$app" --headless 2>"$logs/app1.err" &
wait_up
printf 'Token %s\n' "$token" | "$app" signin --token-stdin
"$app" quit >/dev/null
wait
echo "entries after sign-in: $(entries)"
"$app" --headless 2>"$logs/app2.err" &
wait_up
echo "--- status after restart"
"$app" status
"$app" signout >/dev/null
echo "entries after sign-out: $(entries)"
"$app" quit >/dev/null
wait
