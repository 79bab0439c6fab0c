#!/usr/bin/env bash
# Builds the Linux packages: target/release/bundle/deb/erp-helper_<version>_<arch>.deb
# and target/release/bundle/rpm/erp-helper-<version>-1.<arch>.rpm, each with
# erp-helper and erp-mcp side by side in /usr/bin, the desktop entry (which
# handles erp-helper:// links), icons, man pages and the copyright file.
# Installs what it needs (tauri-cli 2.x, help2man, rpm) first.
# AppImage is not built: its tools come from outside the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

missing=()
for p in help2man rpm; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "package: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! cargo tauri --version 2>/dev/null | grep -q '^tauri-cli 2\.'; then
  echo "package: installing tauri-cli 2.x (cargo install)" >&2
  cargo install --locked tauri-cli --version '^2' --quiet
fi

triple=$(rustc -vV | sed -n 's/^host: //p')
target=${CARGO_TARGET_DIR:-target}

echo "== the binaries (release, stripped)"
config=(--config tauri.bundle.json)
cargo build --locked --profile release-shim -p erp-mcp
# Tauri's externalBin: the shim, named for the target it runs on.
mkdir -p src-tauri/binaries
install -m 0755 "$target/release-shim/erp-mcp" "src-tauri/binaries/erp-mcp-$triple"
export CARGO_PROFILE_RELEASE_STRIP=true
(cd src-tauri && cargo tauri build --ci --no-bundle "${config[@]}" -- --locked)

out="$target/package"
mkdir -p "$out/man"
echo "== man pages (help2man, from the binaries' own --help)"
help2man --no-info --section 1 --source "ERP Helper" \
  --name "the desktop app that signs you in to the ERP and serves your AI assistant" \
  "$target/release/erp-helper" > "$out/man/erp-helper.1"
help2man --no-info --section 1 --source "ERP Helper" \
  --name "the MCP server MCP hosts start; it forwards every call to ERP Helper" \
  "$target/release-shim/erp-mcp" > "$out/man/erp-mcp.1"
gzip -9nf "$out/man/erp-helper.1" "$out/man/erp-mcp.1"

echo "== the Debian changelog and the shared libraries' packages (dpkg-shlibdeps)"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
when=$(git log -1 --format=%cD 2>/dev/null || date -R)
printf 'erp-helper (%s) unstable; urgency=medium\n\n  * Release %s; the changes are in CHANGELOG.md.\n\n -- ERP Helper developers <erp-helper@example.com>  %s\n' \
  "$version" "$version" "$when" | gzip -9n > "$out/changelog.gz"
shlib=$(mktemp -d)
mkdir -p "$shlib/debian"
printf 'Source: erp-helper\n\nPackage: erp-helper\nArchitecture: any\n' > "$shlib/debian/control"
deps=$(cd "$shlib" && dpkg-shlibdeps -O -e "$OLDPWD/$target/release/erp-helper" -e "$OLDPWD/$target/release-shim/erp-mcp" 2>/dev/null \
  | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shlib"
# Tauri adds WebKitGTK, GTK and the tray library itself (unversioned); the rest come from here.
python3 - "$deps" > "$out/tauri.deps.json" <<'PY'
import json, sys
tauri_adds = {"libwebkit2gtk-4.1-0", "libgtk-3-0", "libayatana-appindicator3-1"}
deps = [d.strip() for d in sys.argv[1].split(",") if d.strip() and d.split()[0] not in tauri_adds]
print(json.dumps({"bundle": {"linux": {"deb": {"depends": ["xdg-utils", "desktop-file-utils"] + deps}}}}))
PY
echo "  Depends: $(python3 -c 'import json,sys; print(", ".join(json.load(open(sys.argv[1]))["bundle"]["linux"]["deb"]["depends"]))' "$out/tauri.deps.json")"

echo "== bundles (.deb, .rpm)"
config+=(--config "$(realpath "$out/tauri.deps.json")")
(cd src-tauri && cargo tauri bundle --ci --bundles deb,rpm "${config[@]}")
ls -l "$target"/release/bundle/deb/*.deb "$target"/release/bundle/rpm/*.rpm
