#!/usr/bin/env bash
# Run every benchmark in bench/; each prints one JSON object on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
for b in bench/*.py; do
  echo "== $b"
  .venv/bin/python "$b"
done
