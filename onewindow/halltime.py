"""Kiosks and displays show the hall's time, not the machine's: a box set to UTC would
otherwise show 05:51 while the tickets print 13:51 (Asia/Shanghai).

The hall publishes its zone (`/api/v1/health` and `/api/v1/kiosk-config`, hall.timezone);
the process takes it as its local zone (TZ + tzset), which Python's time functions and
QML's Date both follow.
"""

from __future__ import annotations

import logging
import os
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)


def use_hall_timezone(timezone: str | None) -> bool:
    """Make `timezone` this process's local zone; False (and no change) if it is unknown."""
    if not timezone or not isinstance(timezone, str):
        return False
    if os.environ.get("TZ") == timezone:
        return True
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("the hall's time zone %r is unknown here; keeping the machine's", timezone)
        return False
    os.environ["TZ"] = timezone
    time.tzset()
    log.info("showing the hall's time zone %s", timezone)
    return True


def take_hall_timezone(url: str, token: str) -> bool:
    """Ask the hall (GET /api/v1/health) for its zone and use it; False if it cannot say now."""
    from onewindow.client import HallClient, HallError, HallUnreachable

    client = HallClient(url, token, timeout=3)
    try:
        return use_hall_timezone((client.health().get("hall") or {}).get("timezone"))
    except (HallUnreachable, HallError, AttributeError) as exc:
        log.warning("hall time zone not known yet (%s); the clock shows this machine's", exc)
        return False
    finally:
        client.close()
