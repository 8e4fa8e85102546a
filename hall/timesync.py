"""Is this machine's clock synchronised? The business day and every ticket's time come from it.

Read without systemd and without privileges: the kernel's NTP state through adjtimex(2)
with modes = 0 (read only). chronyd, ntpd and systemd-timesyncd all clear STA_UNSYNC once
they discipline the clock; a clock nobody disciplines keeps it set (adjtimex then returns
TIME_ERROR). `/run/systemd/timesync/synchronized` (timesyncd's mark) is a second witness.
When neither can be read the answer is "unknown" (None), never a guess.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

STA_UNSYNC = 0x0040
TIME_ERROR = 5
_CACHE_SECONDS = 30.0


class _Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long),
                ("status", ctypes.c_int), ("constant", ctypes.c_long),
                ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
                ("time_sec", ctypes.c_long), ("time_usec", ctypes.c_long),
                ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long), ("jitter", ctypes.c_long),
                ("shift", ctypes.c_int), ("stabil", ctypes.c_long), ("jitcnt", ctypes.c_long),
                ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long), ("stbcnt", ctypes.c_long),
                ("tai", ctypes.c_int), ("_padding", ctypes.c_int * 11)]


def _adjtimex() -> tuple[int, int, int] | None:
    """(state, status flags, max error in µs) from the kernel, or None if unavailable."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        tx = _Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state, tx.status, tx.maxerror


_cache: tuple[float, dict] | None = None


def clock_status(*, use_cache: bool = True) -> dict:
    """{"synchronized": True | False | None, "source": …, "max_error_ms": …}."""
    global _cache
    now = time.monotonic()
    if use_cache and _cache is not None and now - _cache[0] < _CACHE_SECONDS:
        return _cache[1]
    result: dict = {"synchronized": None, "source": "unknown", "max_error_ms": None}
    kernel = _adjtimex()
    if kernel is not None:
        state, status, maxerror = kernel
        synced = state != TIME_ERROR and not status & STA_UNSYNC
        result = {"synchronized": synced, "source": "adjtimex",
                  "max_error_ms": round(maxerror / 1000, 1) if synced else None}
    if not result["synchronized"] and os.path.exists("/run/systemd/timesync/synchronized"):
        result = {"synchronized": True, "source": "systemd-timesyncd", "max_error_ms": None}
    _cache = (now, result)
    return result


def hall_time(timezone: str, at: float | None = None) -> dict:
    """The hall's zone and its current UTC offset, e.g. {"timezone": "Asia/Shanghai", "utc_offset": "+08:00"}."""
    t = dt.datetime.fromtimestamp(at if at is not None else time.time(), ZoneInfo(timezone))
    off = t.utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return {"timezone": timezone, "utc_offset": f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"}


def warning(status: dict) -> tuple[str, str] | None:
    """The manager's warning when the clock is not known to be synchronised."""
    if status.get("synchronized") is True:
        return None
    if status.get("synchronized") is False:
        return ("本机时钟未与时间服务器同步：营业日和票号时间以本机时钟为准，请检查 chrony / NTP",
                "This machine's clock is not synchronised: business days and ticket times come "
                "from it; check chrony / NTP")
    return ("无法确认本机时钟是否已同步（请安装并启用 chrony）",
            "Cannot tell whether this machine's clock is synchronised (install and enable chrony)")
