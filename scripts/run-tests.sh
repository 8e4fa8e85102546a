#!/usr/bin/env bash
# The whole test suite. pytest exits 5 when it collected nothing: that is a failure here too.
set -uo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
if [ "${CI:-}" = true ]; then
  # The offline bundle and the Debian packages are built in CI (tests/packaging installs one).
  timeout 900 make --no-print-directory wheelhouse deb || { echo "make wheelhouse deb failed" >&2; exit 1; }
fi
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" = 5 ]; then echo "no tests were collected: failing" >&2; exit 1; fi
exit "$rc"
