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

Cost per estimate: one query for the open windows serving S, and one count per service those
windows serve, each a range seek on the partial index of waiting tickets (service, rank,
sort_at). Nothing is simulated and nothing scans history.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Estimate:
    ahead: int
    eta_minutes: int | None     # None: no open window serves this service now
    open_windows: int


_OPEN_SERVING = ("SELECT w.id, w.services, w.mode, w.weights, w.current_ticket_id FROM windows w "
                 "WHERE w.state = 'open' AND w.active = 1 AND EXISTS "
                 "(SELECT 1 FROM json_each(w.services) j WHERE j.value = ?)")


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _counts(c: sqlite3.Connection, services: list[str], rank: int, sort_at: float) -> dict[str, tuple[int, int]]:
    """Per service: (all waiting, waiting that rank before t), one seek per service on the
    partial index of waiting tickets."""
    rows = c.execute(f"SELECT service_id, COUNT(*), COALESCE(SUM(rank < ? OR (rank = ? AND sort_at < ?)), 0) "
                     f"FROM tickets WHERE state = 'waiting' AND checked_in = 1 AND service_id IN ({_marks(len(services))}) "
                     f"GROUP BY service_id", (rank, rank, sort_at, *services)).fetchall()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


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


def estimate(c: sqlite3.Connection, service_id: str, rank: int, sort_at: float,
             default_minutes: float) -> Estimate:
    """The estimate for a waiting ticket (or a new one: sort_at = now) of `service_id`."""
    windows = [dict(r) for r in c.execute(_OPEN_SERVING, (service_id,)).fetchall()]
    if not windows:
        ahead = _counts(c, [service_id], rank, sort_at).get(service_id, (0, 0))[1]
        return Estimate(ahead=ahead, eta_minutes=None, open_windows=0)
    profiles = []
    group: dict[str, None] = {service_id: None}
    for w in windows:
        services = json.loads(w["services"])
        profiles.append((w["mode"], services, json.loads(w["weights"] or "{}")))
        group.update(dict.fromkeys(services))
    names = list(group)
    counts = _counts(c, names, rank, sort_at)
    n_open = _open_windows_per_service(c, names)
    avg = average_seconds(c, names, default_minutes)
    ahead_s = counts.get(service_id, (0, 0))[1]
    people = 0.0
    work = 0.0
    for mode, services, weights in profiles:
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
                share = n / max(n_open.get(g, 1), 1)
                people += share
                work += share * avg[g]
    # A busy window frees up after about half a service on average.
    work += sum(0.5 * avg[service_id] for w in windows if w["current_ticket_id"])
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
