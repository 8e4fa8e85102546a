#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: system packages (when root), a .venv, the project.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  fonts-wqy-microhei          # CJK font for Qt and the ticket renderer
  espeak-ng sox               # Mandarin voice (cmn-latn-pinyin) and WAV checks
  socat libzbar0              # pty pairs for device simulators, QR decoding
  chromium chromium-driver    # browser tests of the console, ticket page and admin pages
  postgresql                  # the central service's second database, tested with a throwaway cluster
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3
  python3-venv
  cage grim xwayland systemd  # kiosk/display compositor, screenshots (cage test), systemd-analyze
  dpkg-dev fakeroot           # make deb (dpkg-deb), the package install test
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root; please install with apt: ${missing[*]}" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test]'
echo "setup: done"
