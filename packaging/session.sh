#!/bin/sh
# ExecStart of onewindow-kiosk.service and onewindow-display.service: cage (the Wayland kiosk
# compositor) on this unit's seat, turned as ONEWINDOW_ROTATION says (0, 90, 180 or 270
# degrees clockwise; from /etc/onewindow/ROLE.env), running the kiosk or display program.
# cage stays the main process (exec), so systemd watches it; the program inside notifies.
set -eu
role=${1:?usage: session kiosk|display}
shift
case "${ONEWINDOW_ROTATION:-0}" in
    0|"") turn="" ;;
    90) turn="-r" ;;
    180) turn="-r -r" ;;
    270) turn="-r -r -r" ;;
    *) echo "session: ONEWINDOW_ROTATION must be 0, 90, 180 or 270, not '$ONEWINDOW_ROTATION'" >&2
       exit 2 ;;
esac
# -d: no client-side decorations; -s: the technician can still switch VT (Ctrl+Alt+F2).
# shellcheck disable=SC2086
exec ${ONEWINDOW_CAGE:-/usr/bin/cage} -d -s $turn -- /opt/onewindow/current/bin/onewindow "$role" "$@"
