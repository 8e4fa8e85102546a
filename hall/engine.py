"""The hall's queue engine: a thin facade over the domain modules, one transaction per operation.

Every public operation opens one `Op` (hall/op.py: its time, business date, row writes and
events) on the store's writer lock and commits state and events together. The rules live in
the docstring of the module that owns them:

- hall/op.py            the transaction, the outbox rule, clocks, phone normalising
- hall/lookups.py       shared reads (services, windows, tickets, tokens), local time
- hall/issuing.py       issuing tickets: numbers, hours, caps, idempotency, check-in, walk-out
- hall/appointments.py  appointments and on-site check-in
- hall/windows.py       staff, sign-in/out, open/pause/close windows
- hall/queue.py         call, recall, hold, resume, requeue, no-show, finish, transfer, refuse
- hall/feedback.py      ratings, cases, complaints and suggestions
- hall/helpdesk.py      help requests from kiosks
- hall/businessday.py   day roll-over, day close, purge of personal data
- hall/views.py         estimates, the citizen's view of a ticket, overviews
- hall/matters.py       matters (办件) after acceptance: back office, 容缺, pickup, visits

Rules kept here: configuration is applied as one config.applied event, only when its digest
changed; a window's live state (staff, current ticket, counts) survives a config change; a
service or window dropped from the configuration is deactivated, never deleted. Within a run,
operation times are strictly increasing (FIFO stays exact when two citizens press at once).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

from hall import tokens
from hall.appointments import AppointmentsMixin
from hall.businessday import BusinessDayMixin
from hall.config import HallConfig
from hall.errors import DomainError
from hall.events import DERIVED_COLUMNS, HALL_ONLY_COLUMNS, EventFeed
from hall.feedback import CASE_STEP_ZH, CASE_STEPS, FeedbackMixin
from hall.helpdesk import HelpdeskMixin
from hall.issuing import IssuingMixin
from hall.lookups import LookupsMixin
from hall.matters import MattersMixin
from hall.op import ManualClock, Op, SystemClock, _j
from hall.queue import ESCALATE_TO, QueueMixin
from hall.store import Store
from hall.views import ViewsMixin
from hall.windows import WindowsMixin
from hall.workdays import WorkCalendar


class Engine(IssuingMixin, QueueMixin, AppointmentsMixin, WindowsMixin, FeedbackMixin, HelpdeskMixin,
             BusinessDayMixin, ViewsMixin, MattersMixin, LookupsMixin):
    """The hall's queue. Thread-safe: all work is serialised on the store's writer lock."""

    def __init__(self, store: Store, config: HallConfig, clock=None, feed: EventFeed | None = None):
        self.store = store
        self.config = config
        self.clock = clock or SystemClock()
        self.feed = feed or EventFeed()
        self._use_config(config)
        self._last_now = 0.0
        self._cols: dict[str, list[str]] = {}
        self._pk: dict[str, tuple[str, ...]] = {}
        from hall.events import ROW_KEYS
        self._row_keys = ROW_KEYS
        with store.read() as c:
            for table in set(ROW_KEYS.values()):
                info = c.execute(f"PRAGMA table_info({table})").fetchall()
                derived = DERIVED_COLUMNS.get(table, ())
                self._cols[table] = [r["name"] for r in info if r["name"] not in derived]
                self._pk[table] = tuple(r["name"] for r in sorted(info, key=lambda r: r["pk"]) if r["pk"])
            self._secret = tokens.load_secret(c)
        self._upserts: dict[str, tuple[str, list[str], str, set[str]]] = {}
        self._window_cache = None     # hall/views.py: the active windows' profiles
        self._face_cache = None       # hall/lookups.py: local time and business date, per minute
        self._seen = None             # (data_version, store generation) what is kept is valid for
        self._services: dict[str, dict] = {}          # hall/lookups.py `_op_service`
        self._stored_day: str | None = None            # hall/businessday.py `_ensure_day`
        self._numbers: dict[tuple[str, str], int] = {}  # hall/issuing.py `_next_number`
        self._waiting: dict[str, tuple[int, int, int]] = {}   # hall/views.py `_kept_waiting`
        self._waiting_day: str | None = None
        self._working_days: dict[str, tuple] = {}      # hall/lookups.py: per business date
        self.apply_config(config)
        with store.read() as c:
            self.feed.notify(c.execute("SELECT COALESCE(MAX(seq),0) FROM events").fetchone()[0])

    def _use_config(self, config: HallConfig) -> None:
        self.config = config
        self.tz = config.tz
        self.calendar = WorkCalendar(config.calendar.holidays, config.calendar.workdays, (1, 2, 3, 4, 5))
        self.hall_days = WorkCalendar(config.calendar.holidays, config.calendar.workdays, config.day.weekdays)

    def _table(self, key: str) -> tuple[str, list[str]]:
        table = self._row_keys[key]
        return table, self._cols[table]

    def _upsert_sql(self, key: str) -> tuple[str, list[str], str, set[str]]:
        """(table, columns, upsert statement, hall-only columns) for a payload key; built once."""
        hit = self._upserts.get(key)
        if hit is None:
            table, cols = self._table(key)
            pk = self._pk[table]
            updates = ",".join(f"{c}=excluded.{c}" for c in cols if c not in pk)
            sql = (f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))}) "
                   f"ON CONFLICT ({','.join(pk)}) DO UPDATE SET {updates}")
            hall_only = set(HALL_ONLY_COLUMNS.get(table, ()))
            hit = self._upserts[key] = (table, cols, sql, hall_only)
        return hit

    def token_for(self, ticket_id: str) -> str:
        """The citizen's token for a ticket: derived, never stored (hall/tokens.py)."""
        return tokens.ticket_token(self._secret, ticket_id)

    @contextlib.contextmanager
    def _op(self) -> Iterator[Op]:
        with self.store.transaction() as c:
            now = self.clock.now()
            # Strictly increasing times within a run keep FIFO exact when two citizens press
            # in the same instant; a real jump back of the clock is left alone.
            if 0 <= self._last_now - now < 1.0:
                now = self._last_now + 1e-6
            self._last_now = now
            op = Op(self, c, now)
            self._trusted(c)
            if self.store._depth > 1:      # inside someone else's transaction: nothing kept holds
                self._forget()
            try:
                op.business_date = self._ensure_day(op)
                yield op
            except BaseException:
                self._forget()                 # it may hold a change rolled back
                raise
            if op._rows:    # a state change no event carries would break replay and sync
                self._forget()
                raise RuntimeError(f"rows written without an event: {sorted(op._rows)}")
        # Our own commit moved the store's generation; what we keep moved along with it.
        self._seen = (self._seen[0], self.store.generation) if self._seen and not self.store._depth else None
        if op.last_seq:
            self.feed.notify(op.last_seq)

    def _trusted(self, c) -> None:
        """What the engine keeps between operations (the windows' profiles, the services and
        their averages, the stored business date, the numbers last given, the waiting counts)
        holds while every commit on the store was its own: another connection's commit moves
        PRAGMA data_version, any other writer on this connection the store's generation.
        Otherwise it is all dropped here and read again when needed."""
        seen = (c.execute("PRAGMA data_version").fetchone()[0], self.store.generation)
        if seen != self._seen:
            self._forget()
            self._seen = seen

    def _forget(self) -> None:
        """Drop everything the engine keeps between operations."""
        self._window_cache = None
        self._services = {}
        self._stored_day = None
        self._numbers = {}
        self._waiting = {}

    def _written(self, key: str, row: dict, *, issued: bool = False, was: dict | None = None) -> None:
        """Op.put wrote `row` under payload key `key`: bring what the engine keeps along."""
        if key == "ticket":
            if issued or was is not None:
                self._waiting_moved(was, row)        # hall/views.py
            else:
                self._waiting = {}
        elif key == "window":
            self._window_put(row)
        elif key in ("service_stat", "service"):
            if self._window_cache is not None:
                self._window_cache.averages = {}
            if key == "service":
                self._services = {}
        elif key == "meta":
            self._stored_day = None

    def apply_config(self, config: HallConfig) -> bool:
        """Bring services and windows in line with `config`; keeps windows' live state.
        Returns True when something changed (one config.applied event)."""
        digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]
        with self._op() as op:
            self._use_config(config)     # holidays and weekdays too: a reload may change them
            if self._meta(op.c, "config_hash") == digest:
                return False
            for i, s in enumerate(config.services):
                op.put("service", {
                    "id": s.id, "name_zh": s.name_zh, "name_en": s.name_en, "prefix": s.prefix,
                    "domain": s.domain, "kind": s.kind, "daily_cap": s.daily_cap,
                    "appointments": int(s.appointments), "materials": _j(s.material_names),
                    "materials_electronic": _j([{"name": m.name, "name_en": m.name_en,
                                                 "license_type": m.license_type}
                                                for m in s.electronic_materials]),
                    "pinned": int(s.pinned), "avg_minutes": s.avg_minutes,
                    "ticket_cutoff": s.ticket_cutoff, "position": i, "active": 1})
            known = {s.id for s in config.services}
            for row in op.c.execute("SELECT * FROM services WHERE active = 1").fetchall():
                if row["id"] not in known:
                    op.put("service", {**dict(row), "active": 0})
            for w in config.windows:
                old = op.c.execute("SELECT * FROM windows WHERE id = ?", (w.id,)).fetchone()
                live = dict(old) if old else {"served_counts": "{}", "state": "closed", "staff_id": None,
                                              "current_ticket_id": None, "changed_at": None}
                op.put("window", {
                    "id": w.id, "number": w.number, "name_zh": w.name_zh, "name_en": w.name_en,
                    "kind": w.kind, "services": _j(w.services), "mode": w.mode,
                    "weights": _j(w.weights), "served_counts": live["served_counts"],
                    "state": live["state"], "staff_id": live["staff_id"],
                    "current_ticket_id": live["current_ticket_id"], "changed_at": live["changed_at"],
                    "active": 1})
            known_w = {w.id for w in config.windows}
            for row in op.c.execute("SELECT * FROM windows WHERE active = 1").fetchall():
                if row["id"] not in known_w:
                    op.put("window", {**dict(row), "active": 0, "state": "closed"})
            op.put("meta", {"key": "config_hash", "value": digest})
            op.emit("config.applied", hall_id=config.hall.id, config_hash=digest)
            return True


__all__ = ["Engine", "ManualClock", "SystemClock", "Op", "DomainError", "ESCALATE_TO", "CASE_STEPS",
           "CASE_STEP_ZH"]
