"""Who is called next, and how long a citizen will wait.

Order at a window: tickets sent back to this very window; appointments inside their slot;
the green channel; then ordinary tickets by the window's work profile (fifo across its
services, strict service order, or call ratios); appointments not yet in their slot last.
Transfers keep their original sort time, so a transferred citizen keeps their place.
"""

from __future__ import annotations

import json
import math
import sqlite3

_WAITING = ("SELECT * FROM tickets WHERE service_id = ? AND state = 'waiting' AND rank = ? "
            "AND checked_in = 1 AND target_window_id IS NULL {extra} ORDER BY sort_at LIMIT 1")


def _first(c: sqlite3.Connection, service_id: str, rank: int, extra: str = "", args: tuple = ()) -> dict | None:
    row = c.execute(_WAITING.format(extra=extra), (service_id, rank, *args)).fetchone()
    return dict(row) if row else None


def pick_next(c: sqlite3.Connection, window: dict, now: float) -> dict | None:
    """The ticket this window should call now, or None. Reads only; the engine writes."""
    row = c.execute("SELECT * FROM tickets WHERE target_window_id = ? AND state = 'waiting' "
                    "ORDER BY sort_at LIMIT 1", (window["id"],)).fetchone()
    if row:
        return dict(row)
    services: list[str] = json.loads(window["services"])

    in_slot = [t for s in services if (t := _first(c, s, 0, "AND not_before <= ?", (now,)))]
    if in_slot:
        return min(in_slot, key=lambda t: (t["not_before"], t["sort_at"]))
    green = [t for s in services if (t := _first(c, s, 1))]
    if green:
        return min(green, key=lambda t: t["sort_at"])
    normal = {s: t for s in services if (t := _first(c, s, 2))}
    if normal:
        mode = window["mode"]
        if mode == "order":
            return next(normal[s] for s in services if s in normal)
        if mode == "ratio":
            weights = json.loads(window["weights"])
            served = json.loads(window["served_counts"] or "{}")
            order = {s: i for i, s in enumerate(services)}
            best = min(normal, key=lambda s: (served.get(s, 0) / max(weights.get(s, 1), 1), order[s]))
            return normal[best]
        return min(normal.values(), key=lambda t: t["sort_at"])
    early = [t for s in services if (t := _first(c, s, 0))]
    if early:
        return min(early, key=lambda t: (t["not_before"] or 0, t["sort_at"]))
    return None


def eta_minutes(ahead: int, avg_seconds: float, open_windows: int) -> int:
    """Estimated minutes until called: the people ahead shared over the open windows."""
    if ahead <= 0:
        return 0
    return max(1, math.ceil(ahead * avg_seconds / max(open_windows, 1) / 60))


def updated_average(avg_seconds: float, samples: int, new_seconds: float, window: int) -> tuple[float, int]:
    """Running average over roughly the last `window` service times (exponential weighting)."""
    new_seconds = min(max(new_seconds, 10.0), 4 * 3600.0)   # a forgotten 'finish' must not skew it
    n = min(samples + 1, window)
    return avg_seconds + (new_seconds - avg_seconds) / n, samples + 1
