"""How long a citizen will wait, following the open windows' real work profiles.

The old formula divided the people ahead *in the same service* by the number of windows that
serve it. When windows are shared that is wrong: one clerk at a window serving JT and GX, five
JT waiting, and GX001 was told "ahead 0, eta 0" although the window calls by arrival across
both services (fifo) and GX001 was called sixth.

Per window instead. For a ticket t of service S, only the open windows W_S that serve S can
call it. Each such window w, by its mode, calls before t:

- fifo:  the waiting tickets of each of its services that rank before t (priority, then time);
- order: every waiting ticket of the services it lists before S, then S's tickets before t;
- ratio: S's tickets before t, and of each other service g about weight_g / weight_S of them
         (never more than g has waiting).

A ticket of service g ahead of t is called by exactly one of the n_g open windows serving g,
so window w takes about 1/n_g of it. Summing over W_S gives the people ahead of t at the
windows that can call it, and their work (each at its service's running average time); the
|W_S| windows share that work, plus half a service for each of them that is busy now:
eta = (work + residual) / |W_S|. With one window the order of calls is exact.

Cost per estimate: one query for the open windows serving S, one read of the day's counters
rows (waiting per service and rank, kept by triggers in the ticket's own transaction) for
the services those windows serve, and, for a ticket already waiting, one range count per such
service of its own rank up to it. For a new ticket (issue, the kiosk's tiles) the cost does
not depend on how many wait. Nothing is simulated and nothing scans history.
"""

from __future__ import annotations

import json
import math
import sqlite3
from typing import NamedTuple


class Estimate(NamedTuple):      # a tuple: made on every issue, and cheaper than a frozen dataclass
    ahead: int
    eta_minutes: int | None     # None: no open window serves this service now
    open_windows: int


_OPEN_SERVING = ("SELECT w.id, w.services, w.mode, w.weights, w.current_ticket_id FROM windows w "
                 "WHERE w.state = 'open' AND w.active = 1 AND EXISTS "
                 "(SELECT 1 FROM json_each(w.services) j WHERE j.value = ?)")


def _marks(n: int) -> str:
    return ",".join("?" * n)


def waiting_by_rank(c: sqlite3.Connection, business_date: str, services: list[str]) -> dict[str, tuple[int, int, int]]:
    """Checked-in waiting tickets per service at ranks 0, 1 and 2 (hall/models.py
    PRIORITY_RANK), from the day's counters rows the tickets' triggers keep (zeros for a
    service with no row that day)."""
    rows = c.execute(f"SELECT service_id, waiting_r0, waiting_r1, waiting_r2 FROM counters WHERE business_date = ? "
                     f"AND service_id IN ({_marks(len(services))})", (business_date, *services)).fetchall()
    out = dict.fromkeys(services, (0, 0, 0))
    out.update((r[0], (r[1], r[2], r[3])) for r in rows)
    return out


def _counts(c: sqlite3.Connection, business_date: str, services: list[str], rank: int,
            sort_at: float | None, waiting: dict[str, tuple[int, int, int]] | None = None,
            ) -> dict[str, tuple[int, int]]:
    """Per service: (all waiting, waiting that rank before t). Totals and the better ranks come
    from `waiting_by_rank` (constant cost whatever the queue's length), or from `waiting`, the
    same counts as the engine keeps them during an operation; t's own rank is counted up to t
    on the partial index of waiting tickets, a range that ends at t. `sort_at` None: a ticket
    being issued, behind everyone at its rank (no range at all)."""
    if waiting is None:
        waiting = waiting_by_rank(c, business_date, services)
    out = {}
    for s in services:
        by_rank = waiting[s]
        total = by_rank[0] + by_rank[1] + by_rank[2]
        if not total:
            continue
        if sort_at is None:
            out[s] = (total, sum(by_rank[:rank + 1]))
        else:
            out[s] = (total, sum(by_rank[:max(rank, 0)]) + c.execute(
                "SELECT COUNT(*) FROM tickets WHERE service_id = ? AND state = 'waiting' AND rank = ? "
                "AND sort_at < ? AND checked_in = 1", (s, rank, sort_at)).fetchone()[0])
    return out


def _open_windows_per_service(c: sqlite3.Connection, services: list[str]) -> dict[str, int]:
    rows = c.execute(f"SELECT j.value, COUNT(*) FROM windows w, json_each(w.services) j "
                     f"WHERE w.state = 'open' AND w.active = 1 AND j.value IN ({_marks(len(services))}) "
                     f"GROUP BY j.value", tuple(services)).fetchall()
    return {r[0]: r[1] for r in rows}


def average_seconds(c: sqlite3.Connection, services: list[str], default_minutes: float) -> dict[str, float]:
    """Each service's running average service time (its configured time, or the hall default,
    until it has its own)."""
    rows = c.execute(f"SELECT s.id, st.avg_seconds, s.avg_minutes FROM services s "
                     f"LEFT JOIN service_stats st ON st.service_id = s.id WHERE s.id IN ({_marks(len(services))})",
                     tuple(services)).fetchall()
    out = {r[0]: (r[1] if r[1] is not None else 60.0 * (r[2] or default_minutes)) for r in rows}
    return {s: out.get(s, 60.0 * default_minutes) for s in services}


def plan(windows: list[dict], service_id: str) -> tuple[list[tuple[dict, int]], list[str]]:
    """The open windows serving `service_id` grouped by profile: [(a window, how many share its
    profile)], and the services those windows serve (service_id first). The engine keeps it
    until a window opens, closes or changes profile (hall/views.py)."""
    profiles: dict[tuple, list] = {}
    group: dict[str, None] = {service_id: None}
    for w in windows:
        same = profiles.get(w["key"])
        if same is None:
            profiles[w["key"]] = [w, 1]
            group.update(dict.fromkeys(w["services"]))
        else:
            same[1] += 1
    return [(w, k) for w, k in profiles.values()], list(group)


def estimate(c: sqlite3.Connection, service_id: str, rank: int, sort_at: float | None,
             default_minutes: float, open_windows: dict[str, int] | None = None,
             windows: list[dict] | None = None,
             planned: tuple[list[tuple[dict, int]], list[str]] | None = None,
             business_date: str | None = None, averages: dict[str, float] | None = None,
             waiting: dict[str, tuple[int, int, int]] | None = None) -> Estimate:
    """The estimate for a waiting ticket of `service_id`, or for a new one (sort_at None).

    The engine passes what it keeps decoded (hall/views.py): `open_windows`, the open windows
    per service, `windows`, the open windows serving `service_id` (services, mode, weights,
    current_ticket_id), their `planned` grouping (`plan`), the `business_date` whose
    counters hold the waiting counts, the services' `averages` and, for a new ticket, the
    `waiting` counts the engine keeps (`waiting_by_rank`); without them all are read here.
    Windows with the same profile are counted once, times how many share it (a hall has rows
    of identical windows)."""
    if business_date is None:
        row = c.execute("SELECT value FROM meta WHERE key = 'business_date'").fetchone()
        business_date = row[0] if row else ""
    if windows is None:
        windows = []
        for r in c.execute(_OPEN_SERVING, (service_id,)).fetchall():
            services = json.loads(r["services"])
            weights = json.loads(r["weights"] or "{}")
            windows.append({"services": services, "mode": r["mode"], "weights": weights,
                            "current_ticket_id": r["current_ticket_id"],
                            "key": (r["mode"], tuple(services), tuple(sorted(weights.items())))})
        planned = None
    if not windows:
        ahead = _counts(c, business_date, [service_id], rank, sort_at).get(service_id, (0, 0))[1]
        return Estimate(ahead=ahead, eta_minutes=None, open_windows=0)
    profiles, names = planned or plan(windows, service_id)
    busy = 0
    for w in windows:
        if w["current_ticket_id"]:
            busy += 1
    counts = _counts(c, business_date, names, rank, sort_at, waiting)
    n_open = open_windows if open_windows is not None else _open_windows_per_service(c, names)
    avg = averages if averages is not None else average_seconds(c, names, default_minutes)
    ahead_s = counts.get(service_id, (0, 0))[1]
    people = 0.0
    work = 0.0
    for w, k in profiles:
        mode, services, weights = w["mode"], w["services"], w["weights"]
        pos = services.index(service_id)
        w_s = max(weights.get(service_id, 1), 1)
        for i, g in enumerate(services):
            total, before = counts.get(g, (0, 0))
            if g == service_id:
                n = before
            elif mode == "order":
                n = total if i < pos else 0
            elif mode == "ratio":
                n = min(total, math.ceil(ahead_s * max(weights.get(g, 1), 1) / w_s))
            else:
                n = before
            if n:
                share = k * n / max(n_open.get(g, 1), 1)
                people += share
                work += share * avg[g]
    # A busy window frees up after about half a service on average.
    work += busy * 0.5 * avg[service_id]
    eta = 0 if work <= 0 else max(1, math.ceil(work / len(windows) / 60))
    return Estimate(ahead=int(round(people)), eta_minutes=eta, open_windows=len(windows))


def naive_estimate(c: sqlite3.Connection, service_id: str, rank: int, sort_at: float,
                   default_minutes: float) -> Estimate:
    """The formula used before (kept for bench/estimate.py): people ahead in the same service
    x its average / the open windows serving it (at most 3; all configured ones when none is open)."""
    ahead = c.execute("SELECT COUNT(*) FROM tickets WHERE service_id = ? AND state = 'waiting' AND checked_in = 1 "
                      "AND (rank < ? OR (rank = ? AND sort_at < ?))", (service_id, rank, rank, sort_at)).fetchone()[0]
    n = c.execute("SELECT COUNT(*) FROM windows w WHERE w.state = 'open' AND w.active = 1 AND EXISTS "
                  "(SELECT 1 FROM json_each(w.services) j WHERE j.value = ?)", (service_id,)).fetchone()[0]
    if not n:
        n = c.execute("SELECT COUNT(*) FROM windows w WHERE w.active = 1 AND EXISTS "
                      "(SELECT 1 FROM json_each(w.services) j WHERE j.value = ?)", (service_id,)).fetchone()[0]
    avg = average_seconds(c, [service_id], default_minutes)[service_id]
    eta = 0 if ahead <= 0 else max(1, math.ceil(ahead * avg / max(min(n, 3), 1) / 60))
    return Estimate(ahead=ahead, eta_minutes=eta, open_windows=n)
