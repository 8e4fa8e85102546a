#!/bin/sh
# Runs inside cage (onewindow-kiosk.service, onewindow-display.service): turn the screen as
# ONEWINDOW_ROTATION says (0, 90, 180 or 270; from /etc/onewindow/ROLE.env), then become
# the kiosk or display program. cage 0.1.4 has no rotation option; wlr-randr sets it.
set -eu
role=${1:?usage: session kiosk|display}
shift
rotation=${ONEWINDOW_ROTATION:-0}
if [ "$rotation" != 0 ]; then
    if command -v wlr-randr >/dev/null 2>&1; then
        for output in $(wlr-randr | awk '/^[^ ]/ {print $1}'); do
            wlr-randr --output "$output" --transform "$rotation" || \
                echo "session: cannot rotate $output by $rotation" >&2
        done
    else
        echo "session: ONEWINDOW_ROTATION=$rotation needs wlr-randr (apt-get install wlr-randr)" >&2
    fi
fi
exec /opt/onewindow/current/bin/onewindow "$role" "$@"
