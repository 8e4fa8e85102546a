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

Cost per estimate: the open windows' profiles are decoded once per set of open windows (and
configuration) and kept; then one count per service those windows serve, on the partial
index of waiting tickets (service, rank, sort_at) without reading the rows, one read of the
services' averages and one of which windows are busy. Nothing is simulated and nothing scans
history. (Tickets taken remotely and not yet checked in are counted too: the index does not
hold checked_in, and reading every row would cost more than the rare early count is worth.)
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


_OPEN = "SELECT group_concat(id, ',') FROM (SELECT id FROM windows WHERE state = 'open' AND active = 1 ORDER BY id)"
_PROFILES = "SELECT id, services, mode, weights FROM windows WHERE state = 'open' AND active = 1"
_COUNT_BEFORE = ("SELECT COUNT(*) FROM tickets WHERE service_id = ? AND state = 'waiting' "
                 "AND (rank < ? OR (rank = ? AND sort_at < ?))")
_COUNT_ALL = "SELECT COUNT(*) FROM tickets WHERE service_id = ? AND state = 'waiting'"


def _marks(n: int) -> str:
    return ",".join("?" * n)


class _Profiles:
    """The open windows' work profiles, decoded once per set of open windows and configuration
    (windows open and close a few times a day; tickets are issued thousands of times)."""

    def __init__(self, rows: list) -> None:
        self.by_service: dict[str, list[tuple[str, str, list[str], dict]]] = {}
        self.n_open: dict[str, int] = {}
        for r in rows:
            services = json.loads(r["services"])
            profile = (r["id"], r["mode"], services, json.loads(r["weights"] or "{}"))
            for g in services:
                self.by_service.setdefault(g, []).append(profile)
                self.n_open[g] = self.n_open.get(g, 0) + 1


_cache: dict[tuple, _Profiles] = {}


def _profiles(c: sqlite3.Connection) -> _Profiles:
    open_ids = c.execute(_OPEN).fetchone()[0] or ""
    digest = c.execute("SELECT value FROM meta WHERE key = 'config_hash'").fetchone()
    key = (str(c.execute("PRAGMA database_list").fetchone()[2]), open_ids, digest[0] if digest else "")
    got = _cache.get(key)
    if got is None:
        if len(_cache) > 64:
            _cache.clear()
        got = _cache[key] = _Profiles(c.execute(_PROFILES).fetchall())
    return got


def _counter(c: sqlite3.Connection, rank: int, sort_at: float):
    """Per service: (all waiting, waiting that rank before t), counted on the partial index of
    waiting tickets (service, rank, sort_at) without reading the rows; each asked for once."""
    cache: dict[str, tuple[int, int]] = {}

    def count(g: str, need_total: bool) -> tuple[int, int]:
        got = cache.get(g)
        if got is None or (need_total and got[0] < 0):
            before = c.execute(_COUNT_BEFORE, (g, rank, rank, sort_at)).fetchone()[0]
            total = c.execute(_COUNT_ALL, (g,)).fetchone()[0] if need_total else -1
            got = cache[g] = (total, before)
        return got
    return count


def average_seconds(c: sqlite3.Connection, services: list[str], default_minutes: float) -> dict[str, float]:
    """Each service's running average service time (its configured time, or the hall default,
    until it has its own)."""
    rows = c.execute(f"SELECT s.id, st.avg_seconds, s.avg_minutes FROM services s "
                     f"LEFT JOIN service_stats st ON st.service_id = s.id WHERE s.id IN ({_marks(len(services))})",
                     tuple(services)).fetchall()
    out = {r[0]: (r[1] if r[1] is not None else 60.0 * (r[2] or default_minutes)) for r in rows}
    return {s: out.get(s, 60.0 * default_minutes) for s in services}


def _core(service_id: str, prof: _Profiles, count, avg: dict[str, float], busy: int) -> Estimate:
    """The per-window arithmetic (see the module docstring) on counts already at hand."""
    windows = prof.by_service.get(service_id, [])
    ahead_s = count(service_id, False)[1]
    if not windows:
        return Estimate(ahead=ahead_s, eta_minutes=None, open_windows=0)
    people = 0.0
    work = 0.0
    for _wid, mode, services, weights in windows:
        pos = services.index(service_id)
        w_s = max(weights.get(service_id, 1), 1)
        for i, g in enumerate(services):
            if g == service_id:
                n = ahead_s
            elif mode == "order":
                n = count(g, True)[0] if i < pos else 0
            elif mode == "ratio":
                n = min(count(g, True)[0], math.ceil(ahead_s * max(weights.get(g, 1), 1) / w_s))
            else:
                n = count(g, False)[1]
            if n:
                share = n / max(prof.n_open.get(g, 1), 1)
                people += share
                work += share * avg[g]
    # A busy window frees up after about half a service on average.
    work += busy * 0.5 * avg[service_id]
    eta = 0 if work <= 0 else max(1, math.ceil(work / len(windows) / 60))
    return Estimate(ahead=int(round(people)), eta_minutes=eta, open_windows=len(windows))


def estimate(c: sqlite3.Connection, service_id: str, rank: int, sort_at: float,
             default_minutes: float) -> Estimate:
    """The estimate for a waiting ticket (or a new one: sort_at = now) of `service_id`."""
    prof = _profiles(c)
    windows = prof.by_service.get(service_id, [])
    count = _counter(c, rank, sort_at)
    if not windows:
        return _core(service_id, prof, count, {}, 0)
    names = list(dict.fromkeys([service_id] + [g for w in windows for g in w[2]]))
    ids = [w[0] for w in windows]
    busy = c.execute(f"SELECT COUNT(*) FROM windows WHERE id IN ({_marks(len(ids))}) "
                     f"AND current_ticket_id IS NOT NULL", ids).fetchone()[0]
    return _core(service_id, prof, count, average_seconds(c, names, default_minutes), busy)


def estimates_for_newcomers(c: sqlite3.Connection, services: list[str], waiting: dict[str, int],
                            default_minutes: float) -> dict[str, Estimate]:
    """For the services list (kiosks, displays): what a ticket taken now would be told, for
    every service at once. A newcomer ranks after everyone waiting, so the counts are the
    waiting counts the caller already has; one read of averages and of busy windows."""
    prof = _profiles(c)
    avg = average_seconds(c, services, default_minutes)
    busy_ids = {r[0] for r in c.execute("SELECT id FROM windows WHERE current_ticket_id IS NOT NULL "
                                        "AND state = 'open' AND active = 1")}

    def count(g: str, _need_total: bool) -> tuple[int, int]:
        n = int(waiting.get(g, 0))
        return n, n

    out = {}
    for sid in services:
        windows = prof.by_service.get(sid, [])
        for g in {g for w in windows for g in w[2]} - avg.keys():
            avg.update(average_seconds(c, [g], default_minutes))
        out[sid] = _core(sid, prof, count, avg, sum(1 for w in windows if w[0] in busy_ids))
    return out


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
