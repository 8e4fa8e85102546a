#!/bin/sh
# Build a OneWindow virtualenv for one role from this directory's wheels, without network.
#   sh install.sh ROLE TARGET        (ROLE: hall, kiosk, display, all, central)
# A failed install leaves no half-built release behind; running it again for a release
# that is already complete does nothing. The Debian packages run this in postinst.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
role=${1:?usage: install.sh ROLE TARGET}
target=${2:?usage: install.sh ROLE TARGET}
req="$here/requirements-$role.txt"
if [ ! -f "$req" ]; then
    echo "install.sh: unknown role '$role' (no $req)" >&2
    exit 2
fi
python=${ONEWINDOW_PYTHON:-/usr/bin/python3}
stamp="$(sha256sum "$req" | cut -c1-64) $role"
if [ -f "$target/onewindow-release" ] && [ "$(cat "$target/onewindow-release")" = "$stamp" ]; then
    echo "install.sh: $target already holds this release"
    exit 0
fi
# A venv cannot be moved (its scripts name their interpreter's path), so it is built in
# place; the stamp file is written last and a failure removes the partial directory.
rm -rf "$target"
mkdir -p "$(dirname "$target")"
trap 'rm -rf "$target"' EXIT
if ! "$python" -m venv "$target"; then
    echo "install.sh: cannot create a virtualenv: install python3-venv (apt-get install python3-venv)" >&2
    exit 1
fi
# This machine's pip configuration (indexes, constraints) must not change what is installed.
env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
    PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    "$target/bin/python" -m pip install --quiet --no-index --find-links "$here" \
    --require-hashes --no-deps --only-binary=:all: -r "$req"
"$target/bin/onewindow" --version >/dev/null
echo "$stamp" > "$target/onewindow-release"
trap - EXIT
echo "install.sh: $role release in $target"
