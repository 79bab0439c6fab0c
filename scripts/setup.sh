#!/usr/bin/env bash
# Installs what building and testing ERP Helper needs on Debian/Ubuntu.
# Idempotent: packages already present are not touched; apt runs only if
# something is missing.
set -euo pipefail

need_pkgs=(build-essential pkg-config python3 dbus-daemon gnome-keyring libsecret-tools
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev
  libjavascriptcoregtk-4.1-dev libxdo-dev libssl-dev xvfb xauth webkit2gtk-driver dbus-x11 xdg-utils
  python3-gi gir1.2-glib-2.0 libglib2.0-bin python3-xlib desktop-file-utils gsettings-desktop-schemas openssl)
command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs npm)

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: cargo (Rust 1.89 or newer) is required; install it with rustup or your package manager." >&2
    exit 1
  fi
fi

missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: please install: ${missing[*]}" >&2
    exit 1
  fi
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Third-party servers the tests run against (npm oauth2-mock-server), pinned by the lock file.
here="$(cd "$(dirname "$0")/.." && pwd)"
support="$here/tests/support"
if [ ! -f "$support/node_modules/.package-lock.json" ] || ! cmp -s "$support/package-lock.json" "$support/node_modules/.lock-stamp"; then
  echo "setup: installing test support packages (npm ci)" >&2
  (cd "$support" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$support/package-lock.json" "$support/node_modules/.lock-stamp"
fi

# The official Python MCP client, for the protocol tests (PyPI, pinned).
if [ ! -x "$support/.venv/bin/python" ] || ! cmp -s "$support/requirements.txt" "$support/.venv/.req-stamp"; then
  echo "setup: installing the Python test clients (pip, in tests/support/.venv)" >&2
  python3 -m venv "$support/.venv"
  "$support/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$support/requirements.txt"
  cp "$support/requirements.txt" "$support/.venv/.req-stamp"
fi

# The WebDriver bridge for the desktop tests (2.x: crates.io's newest are 3.0 alphas).
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: installing tauri-driver 2.x (cargo install)" >&2
  cargo install --locked tauri-driver --version '^2' --quiet
fi
