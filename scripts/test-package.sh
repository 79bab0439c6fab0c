#!/usr/bin/env bash
# The Linux packages, installed as a user would: builds the .deb and .rpm
# (scripts/package.sh), checks the .deb with lintian (no error) and the .rpm's
# file list, installs the .deb with apt, runs the end-to-end test against the
# installed binaries, checks the desktop's erp-helper:// handler, then removes
# the package and checks that every file it installed is gone and the user's
# data is not. Needs root (apt-get install); run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
fail() { echo "test-package: FAIL: $*" >&2; exit 1; }

bash scripts/package.sh
target=${CARGO_TARGET_DIR:-target}
deb=$(ls -t "$target"/release/bundle/deb/erp-helper_*.deb | head -n1)
rpm=$(ls -t "$target"/release/bundle/rpm/erp-helper-*.rpm | head -n1)
version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "erp-helper"))')

# Every file a user needs, in both packages.
expected=(
  /usr/bin/erp-helper
  /usr/bin/erp-mcp
  /usr/share/applications/erp-helper.desktop
  /usr/share/icons/hicolor/32x32/apps/erp-helper.png
  /usr/share/icons/hicolor/128x128/apps/erp-helper.png
  /usr/share/man/man1/erp-helper.1.gz
  /usr/share/man/man1/erp-mcp.1.gz
)

echo "== lintian $(basename "$deb")"
dpkg-query -W -f='${Status}' lintian 2>/dev/null | grep -q "install ok installed" \
  || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends lintian
lintian --fail-on error --tag-display-limit 0 "$deb" || fail "lintian reports an error on $deb"
dpkg-deb -f "$deb" Package Version Maintainer Depends Description | sed 's/^/  /'
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "the .deb's version is not $version"

echo "== rpm -qlp $(basename "$rpm")"
list=$(rpm -qlp "$rpm")
for f in "${expected[@]}" /usr/share/licenses/erp-helper/LICENSE; do
  grep -qx "$f" <<<"$list" || fail "$f is not in $rpm"
done
rpm -qp --qf '  %{NAME} %{VERSION}-%{RELEASE} %{LICENSE}: %{SUMMARY}\n' "$rpm"
rpm -qRp "$rpm" | grep -q 'libwebkit2gtk-4.1.so.0' || fail "$rpm does not require WebKitGTK"
[ "$(rpm -qp --qf '%{VERSION}' "$rpm")" = "$version" ] || fail "the .rpm's version is not $version"

echo "== apt-get install $(basename "$deb")"
$SUDO dpkg -r erp-helper >/dev/null 2>&1 || true
# Whatever happens next, the machine is left without the package.
trap '$SUDO dpkg -r erp-helper >/dev/null 2>&1 || true' EXIT
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$(realpath "$deb")"
installed=$(dpkg -L erp-helper)
for f in "${expected[@]}" /usr/share/doc/erp-helper/copyright; do
  grep -qx "$f" <<<"$installed" || fail "the package did not install $f"
done
desktop-file-validate /usr/share/applications/erp-helper.desktop || fail "the desktop entry does not validate"
man -w erp-mcp >/dev/null || fail "man erp-mcp finds no page"

# A user of their own: the desktop's handler, and data that must outlive the package.
# cargo and rustup stay where they are while HOME is the user's.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
user=$(mktemp -d)
trap 'rm -rf "$user"; $SUDO dpkg -r erp-helper >/dev/null 2>&1 || true' EXIT
export HOME="$user" XDG_CONFIG_HOME="$user/.config" XDG_DATA_HOME="$user/.local/share"
handler=$(xdg-mime query default x-scheme-handler/erp-helper)
[ "$handler" = "erp-helper.desktop" ] || fail "xdg-mime names '$handler' for erp-helper:// links"
echo "  xdg-mime query default x-scheme-handler/erp-helper: $handler"
/usr/bin/erp-helper settings set erp_api_base_url https://erp.example.com/api/v1/ >/dev/null
settings="$XDG_CONFIG_HOME/erp-helper/settings.json"
[ -f "$settings" ] || fail "the installed app wrote no settings"

echo "== the installed binaries, end to end"
ERP_E2E_BIN_DIR=/usr/bin cargo test --locked -p erp-e2e --test e2e installed:: -- --ignored

echo "== dpkg -r erp-helper"
$SUDO dpkg -r erp-helper >/dev/null
left=()
while read -r f; do
  [ -f "$f" ] || [ -L "$f" ] && left+=("$f")
done <<<"$installed"
[ ${#left[@]} -eq 0 ] || fail "dpkg -r left: ${left[*]}"
[ -f "$settings" ] || fail "dpkg -r removed the user's settings"
[ -z "$(xdg-mime query default x-scheme-handler/erp-helper)" ] || fail "a handler for erp-helper:// is left"
echo "test-package: ok ($(wc -l <<<"$installed") paths installed and removed; the user's data kept)"
