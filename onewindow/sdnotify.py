"""systemd's notify protocol (sd_notify) in plain socket code: READY=1, WATCHDOG=1, STATUS=.

systemd passes `NOTIFY_SOCKET` (a unix datagram socket; a leading "@" means the abstract
namespace) and, with `WatchdogSec=`, `WATCHDOG_USEC` (and `WATCHDOG_PID`). One datagram per
message. Without `NOTIFY_SOCKET` every call is a no-op, so the same code runs by hand.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)

# Exit codes the units know (see the units' RestartPreventExitStatus=).
EXIT_DISABLED = 4    # the role is switched off in the configuration: do not restart
EXIT_NO_SCREEN = 5   # kiosk/display: no screen to draw on


def _address() -> str | None:
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return None
    if addr.startswith("@"):
        return "\0" + addr[1:]
    return addr


def enabled() -> bool:
    return _address() is not None


def notify(*lines: str) -> bool:
    """Send one datagram with these `KEY=value` lines; False when nobody listens."""
    addr = _address()
    if addr is None:
        return False
    message = "\n".join(lines).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            # Never block: a manager that does not read (a full queue) must not freeze the
            # serving loop the ping is sent from; that message is dropped instead.
            sock.setblocking(False)
            sock.connect(addr)
            sock.send(message)
        return True
    except OSError as exc:   # the manager went away or is not reading: keep serving
        log.debug("sd_notify to %s failed: %s", addr, exc)
        return False


def watchdog_interval() -> float | None:
    """Seconds between pings (half of WATCHDOG_USEC), or None when no watchdog is asked for."""
    usec = os.environ.get("WATCHDOG_USEC")
    if not usec or not enabled():
        return None
    pid = os.environ.get("WATCHDOG_PID")
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None     # meant for another process (a parent that exec'd us would set it)
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 2 / 1_000_000 if value > 0 else None


def ready(status: str | None = None) -> bool:
    return notify("READY=1", *([f"STATUS={status}"] if status else []))


def ping() -> bool:
    return notify("WATCHDOG=1")


def status(text: str) -> bool:
    return notify(f"STATUS={text}")


def stopping() -> bool:
    return notify("STOPPING=1")
