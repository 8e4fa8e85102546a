"""Read models for screens: estimates, the citizen's view of a ticket, services and windows.

Rules kept here:
- a citizen sees no phone, name or staff of a ticket (`public_ticket`);
- the wait estimate follows the open windows' profiles (hall/estimate.py): the people each
  window serving the service calls first, shared over those windows; no open window: no
  estimate (None) and `no_window`, said before a ticket is issued;
- a service is open for tickets on a hall working day, between opening and its cut-off, and
  while under its daily cap.
"""

from __future__ import annotations

import datetime as dt
import json

from hall.errors import (
    NotFound,
)
from hall.estimate import average_seconds, estimate, plan, waiting_by_rank


class _WindowCache:
    __slots__ = ("rows", "counts", "open_counts", "serving", "plans", "averages")

    def __init__(self, rows: dict[str, dict]):
        self.rows = rows
        self.counts: dict[str, tuple[int, int]] | None = None
        self.open_counts: dict[str, int] = {}
        self.serving: dict[str, list[str]] | None = None
        # per service: its open windows and their grouping (hall/estimate.py `plan`); emptied
        # whenever a window opens, closes or changes profile
        self.plans: dict[str, tuple[list[dict], tuple]] = {}
        # per service: its running average service time (hall/estimate.py average_seconds),
        # emptied by any write of a service or its stats (Engine._written)
        self.averages: dict[str, float] = {}


def _profile(row) -> dict:
    services = json.loads(row["services"])
    weights = json.loads(row["weights"] or "{}")
    return {"id": row["id"], "state": row["state"], "mode": row["mode"], "services": services,
            "weights": weights, "current_ticket_id": row["current_ticket_id"],
            "services_json": row["services"], "weights_json": row["weights"],
            "key": (row["mode"], tuple(services), tuple(sorted(weights.items())))}


class ViewsMixin:
    """Engine methods: read models for screens: estimates, the citizen's view of a ticket, services and windows. Composed into hall.engine.Engine."""

    def _avg_seconds(self, c, service: dict) -> float:
        row = c.execute("SELECT avg_seconds FROM service_stats WHERE service_id = ?", (service["id"],)).fetchone()
        if row:
            return row[0]
        return 60.0 * (service["avg_minutes"] or self.config.queue.default_service_minutes)

    def _windows(self, c) -> _WindowCache:
        """The active windows' profiles, decoded once. Kept up to date by Op.put (through
        `_window_put`); dropped, like all the engine keeps, when anyone else wrote
        (hall/engine.py `_trusted`, checked here on a read, when an operation begins otherwise)
        or an operation rolled back."""
        if not self.store._depth:
            self._trusted(c)
        cache = self._window_cache
        if cache is None:
            rows = {r["id"]: _profile(r) for r in c.execute(
                "SELECT id, state, services, mode, weights, current_ticket_id FROM windows WHERE active = 1")}
            cache = self._window_cache = _WindowCache(rows)
        return cache

    def _window_put(self, row: dict) -> None:
        """A window row was written in this operation: bring the cache along (no re-read)."""
        cache = self._window_cache
        if cache is None:
            return
        old = cache.rows.get(row["id"])
        if not row.get("active"):
            if old is not None:
                del cache.rows[row["id"]]
                cache.counts = cache.serving = None
                cache.plans = {}
            return
        if (old is not None and old["services_json"] == row["services"] and old["mode"] == row["mode"]
                and old["weights_json"] == row["weights"]):
            if old["state"] != row["state"]:
                cache.counts = None
                cache.plans = {}
            old["state"] = row["state"]
            old["current_ticket_id"] = row["current_ticket_id"]
            return
        cache.rows[row["id"]] = _profile(row)
        cache.counts = cache.serving = None
        cache.plans = {}

    def _averages(self, c, cache: _WindowCache, names: list[str]) -> dict[str, float]:
        """Each service's running average service time, read once until it changes."""
        averages = cache.averages
        missing = [s for s in names if s not in averages]
        if missing:
            averages.update(average_seconds(c, missing, self.config.queue.default_service_minutes))
        return averages

    def _window_counts(self, c) -> dict[str, tuple[int, int]]:
        """Per service: (open windows, active windows) that serve it."""
        cache = self._windows(c)
        if cache.counts is None:
            counts: dict[str, tuple[int, int]] = {}
            for w in cache.rows.values():
                for s in set(w["services"]):
                    n_open, n_all = counts.get(s, (0, 0))
                    counts[s] = (n_open + (w["state"] == "open"), n_all + 1)
            cache.counts = counts
            cache.open_counts = {s: n for s, (n, _) in counts.items() if n}
        return cache.counts

    def _open_serving(self, c, service_id: str) -> list[dict]:
        """The open windows that serve a service, as hall/estimate.py takes them."""
        cache = self._windows(c)
        if cache.serving is None:
            serving: dict[str, list[str]] = {}
            for w in cache.rows.values():
                for s in dict.fromkeys(w["services"]):
                    serving.setdefault(s, []).append(w["id"])
            cache.serving = serving
        rows = cache.rows
        return [rows[i] for i in cache.serving.get(service_id, ()) if rows[i]["state"] == "open"]

    def _open_window_counts(self, c) -> dict[str, int]:
        self._window_counts(c)
        return self._window_cache.open_counts

    def _open_windows_for(self, c, service_id: str) -> int:
        return self._window_counts(c).get(service_id, (0, 0))[0]

    def _estimate_full(self, c, ticket: dict, *, new: bool = False):
        """hall/estimate.py: per open window serving the ticket's service, by its profile.
        `new`: a ticket about to be issued, behind everyone waiting at its rank."""
        service_id = ticket["service_id"]
        open_counts = self._open_window_counts(c)
        plans = self._window_cache.plans
        hit = plans.get(service_id)
        if hit is None:
            windows = self._open_serving(c, service_id)
            hit = plans[service_id] = (windows, plan(windows, service_id))
        # A waiting ticket is counted in its own day's counters row; every waiting ticket is
        # of the current business day (the roll-over expires the others).
        business_date = ticket["business_date"]
        return estimate(c, service_id, ticket["rank"], None if new else ticket["sort_at"],
                        self.config.queue.default_service_minutes, open_counts, hit[0], hit[1],
                        business_date=business_date,
                        averages=self._averages(c, self._window_cache, hit[1][1]),
                        waiting=self._kept_waiting(c, business_date, hit[1][1]) if new else None)

    def _kept_waiting(self, c, business_date: str, names: list[str]) -> dict | None:
        """Inside an operation, the day's waiting counts per service and rank as the engine
        keeps them (hall/engine.py `_op`): read once, moved on by the ticket writes that say
        what they change (`_waiting_moved`: issue, call, start, finish, recall, no-show),
        dropped by any other ticket write, a rollback or a foreign commit. Outside an
        operation (a read), None: the caller reads them."""
        if not self.store._depth:
            return None
        if self._waiting_day != business_date:
            self._waiting, self._waiting_day = {}, business_date
        kept = self._waiting
        missing = [s for s in names if s not in kept]
        if missing:
            kept.update(waiting_by_rank(c, business_date, missing))
        return kept

    def _waiting_moved(self, was: dict | None, now: dict) -> None:
        """A ticket write this operation made (`was` None: a new ticket): move the kept counts
        as the triggers just moved the counters rows (schema 1200)."""
        kept, day = self._waiting, self._waiting_day
        for row, step in ((was, -1), (now, 1)):
            if row is None or row["state"] != "waiting" or row["checked_in"] != 1 or row["business_date"] != day:
                continue
            by_rank = kept.get(row["service_id"])
            if by_rank is None:          # not read yet: the next reading sees this write
                continue
            r0, r1, r2 = by_rank
            rank = row["rank"]
            kept[row["service_id"]] = ((r0 + step, r1, r2) if rank <= 0 else (r0, r1 + step, r2) if rank == 1
                                       else (r0, r1, r2 + step))

    def _estimate(self, c, ticket: dict, *, new: bool = False) -> tuple[int, int | None]:
        if ticket["state"] != "waiting":
            return 0, 0
        est = self._estimate_full(c, ticket, new=new)
        return est.ahead, est.eta_minutes

    def opens_at(self) -> str | None:
        """When a service with no open window may expect one: the hall's opening time, if the
        day has not started yet; otherwise unknown (None)."""
        now = self._local(self.clock.now()).strftime("%H:%M")
        return self.config.day.open if now < self.config.day.open else None

    def _windows_for(self, c, service_id: str) -> int:
        return self._window_counts(c).get(service_id, (0, 0))[1]

    def public_ticket(self, ticket: dict) -> dict:
        """What a citizen may see of a ticket: no phone, no name, no staff."""
        with self.store.read() as c:
            t = self._live_ticket(c, self._ticket(c, ticket["id"]))
            service = self._service_any(c, t["service_id"])
            ahead, eta = self._estimate(c, t)
            no_window = t["state"] == "waiting" and eta is None
            window = None
            if t["window_id"] and t["state"] in ("called", "serving", "held"):
                w = c.execute("SELECT number, name_zh, name_en FROM windows WHERE id = ?", (t["window_id"],)).fetchone()
                window = dict(w) if w else None
            rated = c.execute("SELECT level FROM ratings WHERE ticket_id = ?", (t["id"],)).fetchone()
        return {
            "id": t["id"], "number": t["number"], "service_id": t["service_id"],
            "service_name_zh": service["name_zh"], "service_name_en": service["name_en"],
            "state": t["state"], "priority": t["priority"], "ahead": ahead, "eta_minutes": eta,
            "window_number": window["number"] if window else None,
            "window_name_zh": window["name_zh"] if window else None,
            "issued_at": t["issued_at"], "called_at": t["called_at"], "business_date": t["business_date"],
            "checked_in": bool(t["checked_in"]), "token": t["token"],
            "can_rate": t["state"] in ("done", "refused") and not rated,
            "rating": rated[0] if rated else None, "outcome": t["outcome"],
            "no_window": no_window, "opens_at": self.opens_at() if no_window else None,
        }

    def status_url(self, ticket: dict) -> str:
        return f"{self.config.hall.base_url}/t/{ticket['token']}"

    def services_overview(self) -> list[dict]:
        """Per service: waiting count, estimated wait for a new ticket, open now, full."""
        now = self.clock.now()
        bd = self.business_date()
        local = self._local(now).strftime("%H:%M")
        day_open = self.hall_days.is_working_day(dt.date.fromisoformat(bd))
        with self.store.read() as c:
            waiting, issued = {}, {}
            for sid, last, n in c.execute(
                    "SELECT service_id, last_number, waiting_r0 + waiting_r1 + waiting_r2 + waiting_away "
                    "FROM counters WHERE business_date = ?", (bd,)):
                waiting[sid], issued[sid] = n, last
            out = []
            rows = [dict(s) for s in c.execute("SELECT * FROM services WHERE active = 1 ORDER BY position")]
            for s in rows:
                n = waiting.get(s["id"], 0)
                est = self._estimate_full(c, {"service_id": s["id"], "rank": 2, "sort_at": now,
                                              "business_date": bd}, new=True)
                windows = est.open_windows
                cutoff = min(self.config.day.ticket_cutoff, s["ticket_cutoff"] or "23:59")
                full = issued.get(s["id"], 0) >= s["daily_cap"]
                open_now = day_open and self.config.day.open <= local < cutoff and not full
                out.append({
                    "id": s["id"], "name_zh": s["name_zh"], "name_en": s["name_en"], "prefix": s["prefix"],
                    "domain": s["domain"], "kind": s["kind"], "pinned": bool(s["pinned"]),
                    "appointments": bool(s["appointments"]), "materials": json.loads(s["materials"]),
                    "materials_electronic": json.loads(s["materials_electronic"] or "[]"),
                    # English names where hall.toml gives them (records with name_en), else ""
                    "materials_en": self._materials_en(s["id"], json.loads(s["materials"])),
                    "daily_cap": s["daily_cap"], "issued_today": issued.get(s["id"], 0),
                    "waiting": n, "open_windows": windows,
                    "eta_minutes": est.eta_minutes, "ahead": est.ahead,
                    # 当前无窗口办理: said before a ticket is taken, not after
                    "no_window": windows == 0, "opens_at": self.opens_at() if windows == 0 else None,
                    "open_now": open_now, "full": full,
                    "closed_reason": None if open_now else ("full" if full else ("closed_today" if not day_open else
                                                            ("not_open_yet" if local < self.config.day.open else "cutoff"))),
                })
        return out

    def _materials_en(self, service_id: str, names: list[str]) -> list[str]:
        svc = next((s for s in self.config.services if s.id == service_id), None)
        english = {r.name: r.name_en for r in svc.material_records} if svc is not None else {}
        return [english.get(n, "") for n in names]

    def windows_overview(self) -> list[dict]:
        with self.store.read() as c:
            rows = [dict(r) for r in c.execute("SELECT * FROM windows WHERE active = 1 ORDER BY number")]
            out = []
            for w in rows:
                cur = None
                if w["current_ticket_id"]:
                    t = c.execute("SELECT number, state, service_id, called_at FROM tickets WHERE id = ?",
                                  (w["current_ticket_id"],)).fetchone()
                    cur = dict(t) if t else None
                held = [r[0] for r in c.execute("SELECT number FROM tickets WHERE window_id = ? AND state = 'held' "
                                                "AND state IN ('called', 'serving', 'held')", (w["id"],))]
                staff = c.execute("SELECT name FROM staff WHERE id = ?", (w["staff_id"],)).fetchone() if w["staff_id"] else None
                out.append({"id": w["id"], "number": w["number"], "name_zh": w["name_zh"], "name_en": w["name_en"],
                            "kind": w["kind"], "state": w["state"], "services": json.loads(w["services"]),
                            "mode": w["mode"], "staff_id": w["staff_id"], "staff_name": staff[0] if staff else None,
                            "current": cur, "held": held})
        return out

    def window_state(self, window_id: str) -> dict:
        for w in self.windows_overview():
            if w["id"] == window_id:
                return w
        raise NotFound("unknown_window", f"没有这个窗口：{window_id}", f"no such window: {window_id}")
