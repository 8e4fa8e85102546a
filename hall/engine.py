"""Every queue operation as one transaction that also appends its events.

Rules the engine keeps:
- a state change and its events commit together or not at all (transactional outbox);
- every write to a state table goes through `Op.put`, which also puts the full new row in
  the next event's payload, so the events alone rebuild the state (hall/replay.py);
- an illegal move raises a DomainError and changes nothing;
- ticket numbers come from a counter row in the same transaction: never reused, no gaps;
- the business date never moves backwards, whatever the clock does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import secrets
import sqlite3
import time
import uuid
from collections.abc import Iterator
from typing import Any

from hall import policy
from hall.config import HallConfig
from hall.errors import (
    Conflict,
    DomainError,
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    Refused,
)
from hall.events import EventFeed, append_event
from hall.models import (
    BAD_RATING_MAX,
    OUTCOME_ZH,
    PRIORITY_RANK,
    RATING_ZH,
    CaseState,
    Outcome,
    Priority,
    RefusalKind,
    TicketState,
)
from hall.store import Store
from hall.workdays import WorkCalendar
from onewindow import import_if_present

# Phone notices hook into the same transaction when the module is present.
_notices = import_if_present("hall.notices")


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told: simulations and tests."""

    def __init__(self, start: float):
        self.t = float(start)

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def set(self, t: float) -> None:
        self.t = float(t)


_PHONE = re.compile(r"^1[3-9]\d{9}$")
_APPT_CODE = re.compile(r"^\d{8}$")
ESCALATE_TO = {"chief_representative": "首席代表", "manager": "大厅负责人"}
CASE_STEPS = {
    # step: (states it may start from, state after or None to keep, note required)
    "assign": (None, None, False),
    "contact": (None, None, True),
    "verify": ({CaseState.OPEN}, CaseState.VERIFIED, False),
    "rectify": ({CaseState.VERIFIED}, CaseState.RECTIFIED, True),
    "revisit": ({CaseState.RECTIFIED}, CaseState.REVISITED, True),
    "close": ({CaseState.REVISITED}, CaseState.CLOSED, True),
    "appeal": ({CaseState.OPEN, CaseState.VERIFIED}, CaseState.APPEALING, True),
    "appeal_upheld": ({CaseState.APPEALING}, CaseState.CLOSED, True),
    "appeal_rejected": ({CaseState.APPEALING}, CaseState.VERIFIED, True),
}
CASE_STEP_ZH = {"assign": "指派", "contact": "联系群众（回访核实）", "verify": "核实", "rectify": "整改",
                "revisit": "整改后回访", "close": "办结", "appeal": "申诉复核",
                "appeal_upheld": "申诉成立", "appeal_rejected": "申诉驳回"}


def _mobile(phone: str | None) -> str | None:
    """A mainland mobile number without spaces or dashes, or InvalidInput; None stays None."""
    if phone is None:
        return None
    phone = re.sub(r"[\s-]", "", str(phone))
    if not _PHONE.match(phone):
        raise InvalidInput("bad_phone", "手机号应为 11 位数字，以 1 开头，请重新输入",
                           "a mobile number has 11 digits and starts with 1")
    return phone


def _j(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Op:
    """One transaction in progress: its time, business date, row writes and events."""

    def __init__(self, engine: Engine, conn: sqlite3.Connection, now: float):
        self.engine = engine
        self.c = conn
        self.now = now
        self.business_date = ""
        self._rows: dict[str, list[dict]] = {}
        self.last_seq = 0

    def put(self, key: str, row: dict) -> dict:
        """Upsert one full row of a state table and keep it for the next event."""
        table, cols = self.engine._table(key)
        values = [row.get(c) for c in cols]
        pk = self.engine._pk[table]
        updates = ",".join(f"{c}=excluded.{c}" for c in cols if c not in pk)
        self.c.execute(
            f"INSERT INTO {table} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))}) "
            f"ON CONFLICT ({','.join(pk)}) DO UPDATE SET {updates}", values)
        full = dict(zip(cols, values, strict=True))
        self._rows.setdefault(key, []).append(full)
        return full

    def emit(self, type_: str, **extra: Any) -> int:
        payload: dict[str, Any] = {k: (v[0] if len(v) == 1 else v) for k, v in self._rows.items()}
        payload.update(extra)
        self._rows = {}
        self.last_seq = append_event(self.c, type_, payload, at=self.now, business_date=self.business_date)
        if _notices is not None:
            _notices.queue_notices(self.c, type_, payload, self.engine.config)
        return self.last_seq


class Engine:
    """The hall's queue. Thread-safe: all work is serialised on the store's writer lock."""

    def __init__(self, store: Store, config: HallConfig, clock=None, feed: EventFeed | None = None):
        self.store = store
        self.config = config
        self.clock = clock or SystemClock()
        self.feed = feed or EventFeed()
        self.tz = config.tz
        self.calendar = WorkCalendar(config.calendar.holidays, config.calendar.workdays, (1, 2, 3, 4, 5))
        self.hall_days = WorkCalendar(config.calendar.holidays, config.calendar.workdays, config.day.weekdays)
        self._last_now = 0.0
        self._cols: dict[str, list[str]] = {}
        self._pk: dict[str, tuple[str, ...]] = {}
        from hall.events import ROW_KEYS
        self._row_keys = ROW_KEYS
        with store.read() as c:
            for table in set(ROW_KEYS.values()):
                info = c.execute(f"PRAGMA table_info({table})").fetchall()
                self._cols[table] = [r["name"] for r in info]
                self._pk[table] = tuple(r["name"] for r in sorted(info, key=lambda r: r["pk"]) if r["pk"])
        self.apply_config(config)
        with store.read() as c:
            self.feed.notify(c.execute("SELECT COALESCE(MAX(seq),0) FROM events").fetchone()[0])

    # ------------------------------------------------------------------ plumbing
    def _table(self, key: str) -> tuple[str, list[str]]:
        table = self._row_keys[key]
        return table, self._cols[table]

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
            op.business_date = self._ensure_day(op)
            yield op
            if op._rows:    # a state change no event carries would break replay and sync
                raise RuntimeError(f"rows written without an event: {sorted(op._rows)}")
        if op.last_seq:
            self.feed.notify(op.last_seq)

    def _local(self, t: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(t, self.tz)

    def _hhmm(self, t: float) -> str:
        return self._local(t).strftime("%H:%M")

    def _at(self, date: str, hhmm: str) -> float:
        d = dt.date.fromisoformat(date)
        h, m = (int(x) for x in hhmm.split(":"))
        return dt.datetime(d.year, d.month, d.day, h, m, tzinfo=self.tz).timestamp()

    def _meta(self, c, key: str) -> str | None:
        row = c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _calendar_date(self, now: float) -> str:
        h, m = (int(x) for x in self.config.day.rollover.split(":"))
        return (self._local(now) - dt.timedelta(hours=h, minutes=m)).date().isoformat()

    def _ensure_day(self, op: Op) -> str:
        """The business date for `op.now`; rolls the day over (once) when the date moved on."""
        stored = self._meta(op.c, "business_date")
        today = self._calendar_date(op.now)
        if stored is not None and today <= stored:
            return stored          # never backwards, even if the clock is
        if stored is not None:
            op.business_date = stored
            self._close_day(op, stored)
        op.business_date = today
        op.put("meta", {"key": "business_date", "value": today})
        self._default_ratings(op)
        op.emit("day.opened", business_date=today)     # carries every row written above
        self._purge_contacts(op, today)
        return today

    # ------------------------------------------------------------------ configuration
    def apply_config(self, config: HallConfig) -> bool:
        """Bring services and windows in line with `config`; keeps windows' live state.
        Returns True when something changed (one config.applied event)."""
        digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]
        with self._op() as op:
            if self._meta(op.c, "config_hash") == digest:
                self.config = config
                return False
            self.config = config
            self.tz = config.tz
            for i, s in enumerate(config.services):
                op.put("service", {
                    "id": s.id, "name_zh": s.name_zh, "name_en": s.name_en, "prefix": s.prefix,
                    "domain": s.domain, "kind": s.kind, "daily_cap": s.daily_cap,
                    "appointments": int(s.appointments), "materials": _j(s.materials),
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

    def add_staff(self, staff_id: str, name: str, role: str, active: bool = True) -> dict:
        if role not in ("clerk", "helper", "manager"):
            raise InvalidInput("bad_role", "角色必须是 clerk、helper 或 manager", "role must be clerk, helper or manager")
        if not re.match(r"^[A-Za-z0-9_.-]{1,32}$", staff_id or ""):
            raise InvalidInput("bad_staff_id", "工号只能包含字母、数字和 _ . -（最多32位）",
                               "staff id: letters, digits, _ . - (at most 32)")
        with self._op() as op:
            row = op.put("staff", {"id": staff_id, "name": name, "role": role, "active": int(active)})
            op.emit("staff.changed")
            return row

    # ------------------------------------------------------------------ lookups
    def _service(self, c, service_id: str) -> dict:
        row = c.execute("SELECT * FROM services WHERE id = ? AND active = 1", (service_id,)).fetchone()
        if not row:
            raise NotFound("unknown_service", f"没有这项业务：{service_id}", f"no such service: {service_id}")
        return dict(row)

    def _window(self, c, window_id: str) -> dict:
        row = c.execute("SELECT * FROM windows WHERE id = ? AND active = 1", (window_id,)).fetchone()
        if not row:
            raise NotFound("unknown_window", f"没有这个窗口：{window_id}", f"no such window: {window_id}")
        return dict(row)

    def _ticket(self, c, ticket_id: str) -> dict:
        row = c.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if not row:
            raise NotFound("unknown_ticket", "找不到这张号票", f"no such ticket: {ticket_id}")
        return dict(row)

    def _current(self, c, window: dict, states=(TicketState.CALLED, TicketState.SERVING)) -> dict:
        tid = window["current_ticket_id"]
        ticket = self._ticket(c, tid) if tid else None
        if not ticket or ticket["state"] not in states:
            raise IllegalTransition("no_current_ticket", f"{window['number']} 号窗口当前没有正在办理的号",
                                    f"window {window['number']} has no current ticket")
        return ticket

    def _live_ticket(self, c, ticket: dict) -> dict:
        """Follow transfers to the ticket the citizen now holds."""
        seen = 0
        while ticket["transferred_to"] and seen < 20:
            ticket = self._ticket(c, ticket["transferred_to"])
            seen += 1
        return ticket

    def get_ticket(self, ticket_id: str) -> dict:
        with self.store.read() as c:
            return self._ticket(c, ticket_id)

    def ticket_by_token(self, token: str) -> dict:
        """The live ticket behind a citizen's token (transfers followed)."""
        if not isinstance(token, str) or not re.match(r"^[A-Za-z0-9_-]{10,64}$", token):
            raise NotFound("unknown_token", "号票链接无效", "invalid ticket link")
        with self.store.read() as c:
            row = c.execute("SELECT * FROM tickets WHERE token = ?", (token,)).fetchone()
            if not row:
                raise NotFound("unknown_token", "找不到这张号票，请核对链接", "no ticket for this link")
            return self._live_ticket(c, dict(row))

    def phone_for(self, ticket_id: str) -> str | None:
        """The full phone number: only for the notice sender (and masked display by callers)."""
        with self.store.read() as c:
            row = c.execute("SELECT phone FROM ticket_contacts WHERE ticket_id = ?", (ticket_id,)).fetchone()
            return row[0] if row else None

    # ------------------------------------------------------------------ estimates
    def _avg_seconds(self, c, service: dict) -> float:
        row = c.execute("SELECT avg_seconds FROM service_stats WHERE service_id = ?", (service["id"],)).fetchone()
        if row:
            return row[0]
        return 60.0 * (service["avg_minutes"] or self.config.queue.default_service_minutes)

    def _open_windows_for(self, c, service_id: str) -> int:
        # In SQL: decoding every window's JSON in Python cost ~1 ms per issue at 200 windows.
        return c.execute("SELECT COUNT(*) FROM windows w WHERE w.state = 'open' AND w.active = 1 AND EXISTS "
                         "(SELECT 1 FROM json_each(w.services) j WHERE j.value = ?)", (service_id,)).fetchone()[0]

    def _estimate(self, c, ticket: dict) -> tuple[int, int]:
        ahead = policy.count_ahead(c, ticket)
        service = self._service_any(c, ticket["service_id"])
        windows = self._open_windows_for(c, ticket["service_id"]) or self._windows_for(c, ticket["service_id"])
        return ahead, policy.eta_minutes(ahead, self._avg_seconds(c, service), min(windows, 3) or 1)

    def _windows_for(self, c, service_id: str) -> int:
        return c.execute("SELECT COUNT(*) FROM windows w WHERE w.active = 1 AND EXISTS "
                         "(SELECT 1 FROM json_each(w.services) j WHERE j.value = ?)", (service_id,)).fetchone()[0]

    def _service_any(self, c, service_id: str) -> dict:
        row = c.execute("SELECT * FROM services WHERE id = ?", (service_id,)).fetchone()
        return dict(row)

    def public_ticket(self, ticket: dict) -> dict:
        """What a citizen may see of a ticket: no phone, no name, no staff."""
        with self.store.read() as c:
            t = self._live_ticket(c, self._ticket(c, ticket["id"]))
            service = self._service_any(c, t["service_id"])
            ahead, eta = self._estimate(c, t)
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
        }

    def status_url(self, ticket: dict) -> str:
        return f"{self.config.hall.base_url}/t/{ticket['token']}"

    # ------------------------------------------------------------------ opening hours
    def _check_open_for_tickets(self, op: Op, service: dict) -> None:
        day = dt.date.fromisoformat(op.business_date)
        local = self._local(op.now)
        hhmm = local.strftime("%H:%M")
        if not self.hall_days.is_working_day(day):
            raise Refused("closed_today", "今日大厅不办公，请在工作日前来", "the hall is closed today")
        if hhmm < self.config.day.open:
            raise Refused("not_open_yet", f"尚未开始取号，{self.config.day.open} 开始取号",
                          f"ticketing starts at {self.config.day.open}")
        cutoff = min(self.config.day.ticket_cutoff, service["ticket_cutoff"] or "23:59")
        if hhmm >= cutoff:
            raise Refused("cutoff", f"今日已停止取号（{cutoff} 截止），请明天再来或预约办理",
                          f"no more tickets today (cut-off {cutoff}); come back tomorrow or book online")

    def _next_number(self, op: Op, service: dict, *, enforce_cap: bool) -> tuple[int, str]:
        row = op.c.execute("SELECT last_number FROM counters WHERE business_date = ? AND service_id = ?",
                           (op.business_date, service["id"])).fetchone()
        last = row[0] if row else 0
        if enforce_cap and last >= service["daily_cap"]:
            raise Refused("full", f"{service['name_zh']}今日号源已满（{service['daily_cap']} 个），请明天再来或网上预约",
                          f"{service['name_en'] or service['id']} is full today ({service['daily_cap']} tickets)")
        n = last + 1
        op.put("counter", {"business_date": op.business_date, "service_id": service["id"], "last_number": n})
        return n, f"{service['prefix']}{n:0{self.config.queue.ticket_digits}d}"

    # ------------------------------------------------------------------ issuing
    @staticmethod
    def request_hash(service_id: str, priority_reason: str | None, phone: str | None, lang: str,
                     source: str = "kiosk") -> str:
        raw = _j([service_id, priority_reason or "", phone or "", lang, source])
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    def issue_ticket(self, service_id: str, *, priority_reason: str | None = None, phone: str | None = None,
                     lang: str = "zh", source: str = "kiosk", source_detail: str | None = None,
                     idempotency_key: str | None = None, request_hash: str | None = None,
                     checked_in: bool = True) -> tuple[dict, bool]:
        """Issue a ticket. Returns (ticket, created); the same idempotency key returns the same
        ticket with created=False, and raises IdempotencyConflict if the request differs."""
        if lang not in ("zh", "en"):
            raise InvalidInput("bad_lang", "语言只能是 zh 或 en", "lang must be zh or en")
        phone = _mobile(phone)
        priority = Priority.NORMAL
        if priority_reason:
            if not self.config.green_reason(priority_reason):
                known = "、".join(r.zh for r in self.config.green_channel.reasons)
                raise InvalidInput("bad_priority_reason", f"绿色通道原因无效，可选：{known}",
                                   f"unknown green-channel reason: {priority_reason}")
            priority = Priority.GREEN
        if idempotency_key is not None and not re.match(r"^[A-Za-z0-9_.:-]{8,128}$", idempotency_key):
            raise InvalidInput("bad_idempotency_key", "请求标识格式不正确", "Idempotency-Key: 8-128 letters, digits or _.:-")
        rhash = request_hash or self.request_hash(service_id, priority_reason, phone, lang, source)
        with self._op() as op:
            if idempotency_key:
                row = op.c.execute("SELECT * FROM tickets WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
                if row:
                    if row["request_hash"] != rhash:
                        raise IdempotencyConflict("idempotency_conflict", "同一请求标识用于不同的取号请求",
                                                  "this Idempotency-Key was already used for a different request")
                    return dict(row), False
            service = self._service(op.c, service_id)
            self._check_open_for_tickets(op, service)
            ticket = self._new_ticket(op, service, priority=priority, priority_reason=priority_reason,
                                      source=source, source_detail=source_detail, lang=lang,
                                      idempotency_key=idempotency_key, request_hash=rhash,
                                      checked_in=checked_in, phone=phone)
            return ticket, True

    def _new_ticket(self, op: Op, service: dict, *, priority: Priority, priority_reason=None, source="kiosk",
                    source_detail=None, lang="zh", idempotency_key=None, request_hash=None, checked_in=True,
                    phone=None, not_before=None, appointment_id=None, enforce_cap=True) -> dict:
        seq_no, number = self._next_number(op, service, enforce_cap=enforce_cap)
        ticket = {
            "id": uuid.uuid4().hex, "business_date": op.business_date, "service_id": service["id"],
            "number": number, "seq_no": seq_no, "priority": str(priority), "priority_reason": priority_reason,
            "rank": PRIORITY_RANK[priority], "not_before": not_before, "target_window_id": None,
            "return_window_id": None, "source": source, "source_detail": source_detail,
            "token": secrets.token_urlsafe(16), "state": "waiting", "checked_in": int(checked_in),
            "issued_at": op.now, "sort_at": op.now, "recalls": 0, "has_phone": int(bool(phone)), "lang": lang,
            "appointment_id": appointment_id, "idempotency_key": idempotency_key, "request_hash": request_hash,
        }
        # Estimate before writing so the ticket does not count itself.
        ticket_for_estimate = {**ticket}
        ahead, eta = self._estimate(op.c, ticket_for_estimate)
        ticket["ahead_at_issue"], ticket["eta_at_issue"] = ahead, eta
        ticket = op.put("ticket", ticket)
        if phone:
            purge = (dt.date.fromisoformat(op.business_date)
                     + dt.timedelta(days=self.config.privacy.phone_retention_days)).isoformat()
            op.c.execute("INSERT INTO ticket_contacts (ticket_id, phone, purge_after) VALUES (?, ?, ?)",
                         (ticket["id"], phone, purge))
        op.emit("ticket.issued", number=number, ahead=ahead, eta_minutes=eta,
                service_name_zh=service["name_zh"])
        return ticket

    # ------------------------------------------------------------------ appointments
    def upsert_appointments(self, appointments: list[dict]) -> int:
        """Store appointments pulled from central (by code). A checked-in one keeps its state."""
        with self._op() as op:
            n = 0
            for a in appointments:
                code = str(a.get("code", ""))
                if not _APPT_CODE.match(code):
                    raise InvalidInput("bad_appointment_code", f"预约码格式不正确：{code}", f"bad appointment code: {code}")
                if not op.c.execute("SELECT 1 FROM services WHERE id = ?", (a.get("service_id"),)).fetchone():
                    raise NotFound("unknown_service", f"预约的业务不存在：{a.get('service_id')}",
                                   f"appointment for unknown service {a.get('service_id')}")
                for key in ("date", "slot_start", "slot_end"):
                    if not isinstance(a.get(key), str):
                        raise InvalidInput("bad_appointment", f"预约缺少 {key}", f"appointment {code}: {key} is missing")
                old = op.c.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone()
                old = dict(old) if old else {}
                state = old.get("state") if old.get("state") == "checked_in" else a.get("state", "booked")
                op.put("appointment", {
                    "id": old.get("id") or a.get("id") or uuid.uuid4().hex, "code": code,
                    "service_id": a["service_id"], "date": a["date"], "slot_start": a["slot_start"],
                    "slot_end": a["slot_end"], "name_masked": a.get("name_masked", ""), "state": state,
                    "ticket_id": old.get("ticket_id"), "checked_in_at": old.get("checked_in_at"),
                    "updated_at": op.now})
                n += 1
            if n:
                op.emit("appointment.upserted", count=n)
            return n

    @staticmethod
    def parse_appointment_code(code: str) -> str:
        code = (code or "").strip()
        if code.upper().startswith("OW1:A:"):
            code = code[6:]
        code = re.sub(r"\s", "", code)
        if not _APPT_CODE.match(code):
            raise InvalidInput("bad_appointment_code", "预约码应为 8 位数字，请核对后重新输入",
                               "an appointment code has 8 digits; please check it")
        return code

    def check_in_appointment(self, code: str) -> dict:
        """Check in on site. Inside the window: an appointment ticket, called first in its slot.
        Early: refused with the time to come back. Late: a normal ticket (or refused)."""
        code = self.parse_appointment_code(code)
        with self._op() as op:
            row = op.c.execute("SELECT * FROM appointments WHERE code = ?", (code,)).fetchone()
            if not row:
                raise NotFound("unknown_appointment", "未找到该预约，请核对预约码，或到咨询台咨询",
                               "no appointment with this code; please check it or ask at the enquiry desk")
            appt = dict(row)
            if appt["state"] == "checked_in" and appt["ticket_id"]:
                return self._ticket(op.c, appt["ticket_id"])
            if appt["state"] == "cancelled":
                raise Refused("appointment_cancelled", "该预约已取消，请重新取号", "this appointment was cancelled")
            if appt["date"] != op.business_date:
                raise Refused("wrong_date", f"您预约的是 {appt['date']}，请在预约当天前来签到",
                              f"this appointment is for {appt['date']}")
            service = self._service(op.c, appt["service_id"])
            start = self._at(appt["date"], appt["slot_start"])
            early = start - 60 * self.config.appointments.checkin_early_minutes
            late = start + 60 * self.config.appointments.checkin_late_minutes
            if op.now < early:
                opens = self._hhmm(early)
                raise Refused("too_early", f"签到时间未到，请于 {opens} 后签到（预约时段 {appt['slot_start']}–{appt['slot_end']}）",
                              f"too early: check-in opens at {opens} (slot {appt['slot_start']}-{appt['slot_end']})")
            late_arrival = op.now > late
            if late_arrival and self.config.appointments.late_policy == "refuse":
                raise Refused("too_late", "已超过预约签到时间，请重新预约或取普通号",
                              "too late for this appointment; please book again or take a normal ticket")
            if late_arrival:
                ticket = self._new_ticket(op, service, priority=Priority.NORMAL, source="appointment_late",
                                          source_detail=code, appointment_id=appt["id"], enforce_cap=False)
            else:
                ticket = self._new_ticket(op, service, priority=Priority.APPOINTMENT, source="appointment",
                                          source_detail=code, not_before=start, appointment_id=appt["id"],
                                          enforce_cap=False)
            op.put("appointment", {**appt, "state": "checked_in", "ticket_id": ticket["id"],
                                   "checked_in_at": op.now, "updated_at": op.now})
            op.emit("ticket.checked_in", late=late_arrival, number=ticket["number"])
            return ticket

    def check_in_ticket(self, token: str) -> dict:
        """A ticket taken remotely becomes callable once its holder checks in on site."""
        ticket = self.ticket_by_token(token)
        with self._op() as op:
            t = self._ticket(op.c, ticket["id"])
            if t["checked_in"]:
                return t
            if t["state"] != "waiting":
                raise IllegalTransition("not_waiting", "该号已不在排队中", "this ticket is no longer waiting")
            t = op.put("ticket", {**t, "checked_in": 1})
            op.emit("ticket.checked_in", number=t["number"])
            return t

    def cancel_ticket(self, token: str) -> dict:
        """The citizen leaves before being called (walk-out)."""
        ticket = self.ticket_by_token(token)
        with self._op() as op:
            t = self._ticket(op.c, ticket["id"])
            if t["state"] != "waiting":
                raise IllegalTransition("not_waiting", "该号已叫过或已结束，不能取消", "only a waiting ticket can be cancelled")
            t = op.put("ticket", {**t, "state": "walked_out", "finished_at": op.now})
            op.emit("ticket.walked_out", number=t["number"])
            return t

    # ------------------------------------------------------------------ windows
    def sign_in(self, window_id: str, staff_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            staff = op.c.execute("SELECT * FROM staff WHERE id = ? AND active = 1", (staff_id,)).fetchone()
            if not staff:
                raise NotFound("unknown_staff", f"工号 {staff_id} 不存在或已停用", f"unknown or inactive staff {staff_id}")
            for other in op.c.execute("SELECT * FROM windows WHERE staff_id = ? AND id != ?", (staff_id, window_id)).fetchall():
                other = dict(other)
                if other["current_ticket_id"]:
                    raise IllegalTransition("busy_elsewhere", f"您在 {other['number']} 号窗口还有正在办理的号，请先处理",
                                            f"you still have a ticket at window {other['number']}")
                op.put("window", {**other, "staff_id": None, "state": "closed", "changed_at": op.now})
                op.emit("window.signed_out", window_number=other["number"])
            if window["staff_id"] and window["staff_id"] != staff_id and window["current_ticket_id"]:
                raise IllegalTransition("window_busy", "该窗口有正在办理的号，请原窗口人员先处理",
                                        "this window has a ticket in progress")
            window = op.put("window", {**window, "staff_id": staff_id, "changed_at": op.now})
            op.emit("window.signed_in", window_number=window["number"], staff_name=staff["name"])
            return window

    def sign_out(self, window_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            if window["current_ticket_id"]:
                raise IllegalTransition("window_busy", "请先办结、过号或挂起当前号，再退出",
                                        "finish, no-show or hold the current ticket before signing out")
            window = op.put("window", {**window, "staff_id": None, "state": "closed", "changed_at": op.now})
            op.emit("window.signed_out", window_number=window["number"])
            return window

    def _set_window_state(self, window_id: str, state: str, event: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            if state == "open" and not window["staff_id"]:
                raise IllegalTransition("not_signed_in", "请先登录窗口再开窗", "sign in to the window before opening it")
            if state == "closed" and window["current_ticket_id"]:
                raise IllegalTransition("window_busy", "请先处理当前号再关窗", "finish the current ticket before closing")
            if window["state"] == state:
                return window
            window = op.put("window", {**window, "state": state, "changed_at": op.now})
            op.emit(event, window_number=window["number"])
            return window

    def open_window(self, window_id: str) -> dict:
        return self._set_window_state(window_id, "open", "window.opened")

    def pause_window(self, window_id: str) -> dict:
        return self._set_window_state(window_id, "paused", "window.paused")

    def close_window(self, window_id: str) -> dict:
        return self._set_window_state(window_id, "closed", "window.closed")

    # ------------------------------------------------------------------ calling
    def call_next(self, window_id: str) -> dict | None:
        """Call the next citizen to this window; None when nobody waits for it."""
        with self._op() as op:
            window = self._window(op.c, window_id)
            if window["state"] != "open" or not window["staff_id"]:
                raise IllegalTransition("window_not_open", f"{window['number']} 号窗口未开放（{window['state']}），请先开窗",
                                        f"window {window['number']} is not open")
            if window["current_ticket_id"]:
                cur = self._ticket(op.c, window["current_ticket_id"])
                if cur["state"] in ("called", "serving"):
                    raise IllegalTransition("window_busy", f"请先处理当前号 {cur['number']}（办结、过号、挂起或转办）",
                                            f"deal with the current ticket {cur['number']} first")
            ticket = policy.pick_next(op.c, window, op.now)
            if ticket is None:
                return None
            ticket = op.put("ticket", {**ticket, "state": "called", "called_at": op.now, "window_id": window_id,
                                       "staff_id": window["staff_id"]})
            served = json.loads(window["served_counts"] or "{}")
            served[ticket["service_id"]] = served.get(ticket["service_id"], 0) + 1
            window = op.put("window", {**window, "current_ticket_id": ticket["id"], "served_counts": _j(served),
                                       "changed_at": op.now})
            self._record_call(op, ticket, window, "call")
            op.emit("ticket.called", number=ticket["number"], window_number=window["number"],
                    window_name_zh=window["name_zh"])
            return ticket

    @staticmethod
    def _record_call(op: Op, ticket: dict, window: dict, kind: str) -> None:
        op.put("call", {"id": uuid.uuid4().hex, "ticket_id": ticket["id"], "window_id": window["id"],
                        "staff_id": window["staff_id"], "kind": kind, "at": op.now})

    def recall(self, window_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window, states=(TicketState.CALLED,))
            ticket = op.put("ticket", {**ticket, "recalls": ticket["recalls"] + 1})
            self._record_call(op, ticket, window, "recall")
            op.emit("ticket.recalled", number=ticket["number"], window_number=window["number"],
                    window_name_zh=window["name_zh"])
            return ticket

    def hold(self, window_id: str) -> dict:
        """Park the current citizen (挂起), e.g. to fill in a form; the window may call others."""
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            ticket = op.put("ticket", {**ticket, "state": "held"})
            window = op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
            op.emit("ticket.held", number=ticket["number"], window_number=window["number"])
            return ticket

    def resume(self, window_id: str, ticket_id: str | None = None) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            if window["current_ticket_id"]:
                cur = self._ticket(op.c, window["current_ticket_id"])
                if cur["state"] in ("called", "serving"):
                    raise IllegalTransition("window_busy", f"请先处理当前号 {cur['number']}",
                                            f"deal with the current ticket {cur['number']} first")
            if ticket_id:
                ticket = self._ticket(op.c, ticket_id)
            else:
                # The redundant IN term lets SQLite use the partial index of open tickets
                # (tickets_open_at_window) instead of scanning every ticket ever issued.
                row = op.c.execute("SELECT * FROM tickets WHERE window_id = ? AND state = 'held' "
                                   "AND state IN ('called', 'serving', 'held') "
                                   "ORDER BY called_at DESC LIMIT 1", (window_id,)).fetchone()
                if not row:
                    raise IllegalTransition("nothing_held", "本窗口没有挂起的号", "no held ticket at this window")
                ticket = dict(row)
            if ticket["state"] != "held" or ticket["window_id"] != window_id:
                raise IllegalTransition("not_held_here", f"{ticket['number']} 不是本窗口挂起的号",
                                        f"{ticket['number']} is not held at this window")
            state = "serving" if ticket["started_at"] else "called"
            ticket = op.put("ticket", {**ticket, "state": state})
            window = op.put("window", {**window, "current_ticket_id": ticket["id"], "changed_at": op.now})
            op.emit("ticket.resumed", number=ticket["number"], window_number=window["number"])
            return ticket

    def return_to_queue(self, window_id: str, position: str = "first") -> dict:
        """Send the current citizen back to the queue: first keeps their place, last queues anew."""
        if position not in ("first", "last"):
            raise InvalidInput("bad_position", "位置只能是 first 或 last", "position must be first or last")
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            ticket = op.put("ticket", {**ticket, "state": "waiting", "window_id": None, "staff_id": None,
                                       "called_at": None, "started_at": None, "recalls": 0,
                                       "sort_at": ticket["sort_at"] if position == "first" else op.now})
            window = op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
            op.emit("ticket.requeued", number=ticket["number"], position=position)
            return ticket

    def no_show(self, window_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window, states=(TicketState.CALLED,))
            need = self.config.queue.recalls_before_no_show
            if ticket["recalls"] < need:
                raise Refused("recall_first", f"请再呼叫 {need - ticket['recalls']} 次后再标记过号",
                              f"recall {need - ticket['recalls']} more time(s) before marking a no-show")
            ticket = op.put("ticket", {**ticket, "state": "no_show", "finished_at": op.now})
            window = op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
            op.emit("ticket.no_show", number=ticket["number"], window_number=window["number"])
            return ticket

    def start(self, window_id: str) -> dict:
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window, states=(TicketState.CALLED,))
            ticket = op.put("ticket", {**ticket, "state": "serving", "started_at": op.now})
            op.emit("ticket.started", number=ticket["number"], window_number=window["number"])
            return ticket

    def finish(self, window_id: str, outcome: str, *, pending_materials: list[str] | None = None,
               note: str | None = None) -> dict:
        try:
            outcome = Outcome(outcome)
        except ValueError:
            raise InvalidInput("bad_outcome", "办理结果只能是 办结、受理 或 容缺受理",
                               "outcome must be completed, accepted or accepted_pending") from None
        pending = [str(m).strip() for m in (pending_materials or []) if str(m).strip()]
        if outcome == Outcome.ACCEPTED_PENDING and not pending:
            raise InvalidInput("pending_materials_required", "容缺受理需列出待补齐的材料",
                               "accepted_pending needs the list of materials still to be supplied")
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            started = ticket["started_at"] or ticket["called_at"]
            detail = {"pending_materials": pending, "note": (note or "")[:500]}
            ticket = op.put("ticket", {**ticket, "state": "done", "started_at": started, "finished_at": op.now,
                                       "outcome": str(outcome), "outcome_detail": _j(detail)})
            window = op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
            self._record_service_time(op, ticket["service_id"], op.now - started)
            op.emit("ticket.finished", number=ticket["number"], window_number=window["number"],
                    outcome_zh=OUTCOME_ZH[outcome])
            self._after_service(op, ticket, window)
            return ticket

    def _record_service_time(self, op: Op, service_id: str, seconds: float) -> None:
        row = op.c.execute("SELECT * FROM service_stats WHERE service_id = ?", (service_id,)).fetchone()
        service = self._service_any(op.c, service_id)
        avg, n = (row["avg_seconds"], row["samples"]) if row else (self._avg_seconds(op.c, service), 0)
        avg, n = policy.updated_average(avg, n, seconds, self.config.queue.eta_samples)
        op.put("service_stat", {"service_id": service_id, "avg_seconds": avg, "samples": n})

    def _after_service(self, op: Op, ticket: dict, window: dict) -> None:
        """After a service: ask for a rating; send a 'return to me' citizen back."""
        op.emit("rating.requested", ticket_id=ticket["id"], token=ticket["token"], window_id=window["id"],
                window_number=window["number"], staff_id=window["staff_id"], number=ticket["number"])
        if ticket["return_window_id"]:
            origin = self._ticket(op.c, ticket["transferred_from"])
            back = self._follow_up(op, ticket, origin["service_id"], target_window_id=ticket["return_window_id"])
            op.put("ticket", {**ticket, "transferred_to": back["id"]})
            op.emit("ticket.transferred", number=back["number"], returning=True)

    def _follow_up(self, op: Op, ticket: dict, service_id: str, *, target_window_id=None,
                   return_window_id=None) -> dict:
        """A new waiting ticket for another service that keeps the citizen's number and place."""
        return op.put("ticket", {
            "id": uuid.uuid4().hex, "business_date": ticket["business_date"], "service_id": service_id,
            "number": ticket["number"], "seq_no": None, "priority": ticket["priority"],
            "priority_reason": ticket["priority_reason"], "rank": ticket["rank"],
            "not_before": ticket["not_before"], "target_window_id": target_window_id,
            "return_window_id": return_window_id, "source": "transfer", "source_detail": ticket["id"],
            "token": secrets.token_urlsafe(16), "state": "waiting", "checked_in": 1,
            "issued_at": ticket["issued_at"], "sort_at": ticket["sort_at"], "recalls": 0,
            "has_phone": ticket["has_phone"], "lang": ticket["lang"], "transferred_from": ticket["id"],
            "appointment_id": ticket["appointment_id"]})

    def transfer(self, window_id: str, service_id: str, *, return_to_me: bool = False, note: str | None = None) -> dict:
        """Send the current citizen to another service, keeping number and place. Returns the new ticket."""
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            target = self._service(op.c, service_id)
            if target["id"] == ticket["service_id"]:
                raise InvalidInput("same_service", "不能转到同一项业务", "cannot transfer to the same service")
            new = self._do_transfer(op, window, ticket, target, return_to_me)
            op.emit("ticket.transferred", number=ticket["number"], to_service_name_zh=target["name_zh"],
                    return_to_me=bool(return_to_me), note=(note or "")[:200])
            return new

    def _do_transfer(self, op: Op, window: dict, ticket: dict, target: dict, return_to_me: bool) -> dict:
        new = self._follow_up(op, ticket, target["id"], return_window_id=window["id"] if return_to_me else None)
        started = ticket["started_at"] or ticket["called_at"]
        op.put("ticket", {**ticket, "state": "transferred", "started_at": started, "finished_at": op.now,
                          "transferred_to": new["id"]})
        op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})
        return new

    def refuse(self, window_id: str, kind: str, *, target_service_id: str | None = None,
               materials: list[str] | None = None, escalate_to: str | None = None, text: str = "") -> dict:
        """窗口无权否决: a window may not just say no. Every refusal is a report the manager sees.

        redirect: the citizen is transferred to the right service and keeps their place;
        missing_materials: the list for the one-time notice (一次性告知单);
        escalate: the path (chief representative or manager) when law or policy is unclear."""
        try:
            kind = RefusalKind(kind)
        except ValueError:
            raise InvalidInput("bad_refusal_kind", "类型只能是 指引转办(redirect)、材料不全(missing_materials) 或 提交研究(escalate)",
                               "kind must be redirect, missing_materials or escalate") from None
        text = (text or "").strip()[:1000]
        with self._op() as op:
            window = self._window(op.c, window_id)
            ticket = self._current(op.c, window)
            service = self._service_any(op.c, ticket["service_id"])
            items: list[str] = []
            new = None
            if kind == RefusalKind.REDIRECT:
                if not target_service_id:
                    raise InvalidInput("target_required", "请选择应办理的业务", "choose the service the citizen needs")
                target = self._service(op.c, target_service_id)
                if target["id"] == ticket["service_id"]:
                    raise InvalidInput("same_service", "指引的业务不能是当前业务", "redirect to a different service")
                new = self._do_transfer(op, window, ticket, target, False)
            elif kind == RefusalKind.MISSING_MATERIALS:
                items = list(dict.fromkeys(str(m).strip()[:100] for m in (materials or []) if str(m).strip()))
                if not items:
                    raise InvalidInput("materials_required", "请勾选或填写缺少的材料，以便出具一次性告知单",
                                       "list the missing materials for the one-time notice")
                self._end_refused(op, ticket, window)
            else:
                if escalate_to not in ESCALATE_TO:
                    raise InvalidInput("escalate_to_required", "请选择提交给首席代表还是大厅负责人",
                                       "escalate_to must be chief_representative or manager")
                if not text:
                    raise InvalidInput("text_required", "请简要说明需要研究的问题", "describe the question to escalate")
                self._end_refused(op, ticket, window)
            refusal = op.put("refusal", {
                "id": uuid.uuid4().hex, "ticket_id": ticket["id"], "window_id": window_id,
                "staff_id": window["staff_id"], "service_id": ticket["service_id"], "kind": str(kind),
                "target_service_id": target_service_id if kind == RefusalKind.REDIRECT else None,
                "materials": _j(items), "escalate_to": escalate_to if kind == RefusalKind.ESCALATE else None,
                "text": text, "business_date": op.business_date, "at": op.now, "review_state": "new",
                "reviewed_by": None, "review_note": None})
            op.emit("ticket.refused", number=ticket["number"], window_number=window["number"],
                    service_name_zh=service["name_zh"], kind=str(kind))
            self._after_service(op, {**ticket, "return_window_id": None}, window)
            result = dict(refusal)
            result["materials"] = items
            result["new_ticket_id"] = new["id"] if new else None
            return result

    @staticmethod
    def _end_refused(op: Op, ticket: dict, window: dict) -> None:
        op.put("ticket", {**ticket, "state": "refused", "started_at": ticket["started_at"] or ticket["called_at"],
                          "finished_at": op.now})
        op.put("window", {**window, "current_ticket_id": None, "changed_at": op.now})

    def review_refusal(self, refusal_id: str, staff_id: str, decision: str, note: str = "") -> dict:
        """The manager confirms a refusal or flags it for follow-up."""
        if decision not in ("confirmed", "follow_up"):
            raise InvalidInput("bad_decision", "只能确认(confirmed)或跟进(follow_up)", "decision: confirmed or follow_up")
        with self._op() as op:
            row = op.c.execute("SELECT * FROM refusals WHERE id = ?", (refusal_id,)).fetchone()
            if not row:
                raise NotFound("unknown_refusal", "找不到该报告", "no such refusal report")
            refusal = op.put("refusal", {**dict(row), "review_state": decision, "reviewed_by": staff_id,
                                         "review_note": (note or "")[:500]})
            op.emit("refusal.reviewed", decision=decision)
            return refusal

    # ------------------------------------------------------------------ ratings
    def rate(self, level: int, reasons=(), *, ticket_id: str | None = None, token: str | None = None,
             comment: str | None = None, channel: str = "pad") -> dict:
        """One rating per ticket (一次一评). A 差评 (level <= 2) needs a reason and opens a case."""
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise InvalidInput("bad_level", "评价等级为 1 到 5", "level must be 1 to 5")
        if channel not in ("pad", "qr", "web", "kiosk", "hotline", "default"):
            raise InvalidInput("bad_channel", "评价渠道无效", "unknown rating channel")
        reasons = [str(r).strip() for r in (reasons or []) if str(r).strip()]
        allowed = self.config.ratings.reasons.get(str(level), [])
        bad = [r for r in reasons if r not in allowed]
        if bad:
            raise InvalidInput("bad_reason", f"评价理由不在可选范围内：{bad[0]}", f"unknown reason for level {level}: {bad[0]}")
        if level <= BAD_RATING_MAX and not reasons:
            raise InvalidInput("reason_required", "差评请至少选择一个原因，便于我们整改",
                               "a bad rating needs at least one reason")
        if token is not None:
            ticket_id = self.ticket_by_token(token)["id"]
        if not ticket_id:
            raise InvalidInput("ticket_required", "缺少号票信息", "ticket_id or token is required")
        with self._op() as op:
            ticket = self._live_ticket(op.c, self._ticket(op.c, ticket_id))
            return self._rate(op, ticket, level, reasons, (comment or "").strip()[:500] or None, channel, False)

    def _rate(self, op: Op, ticket: dict, level: int, reasons: list[str], comment, channel: str, is_default: bool) -> dict:
        if ticket["state"] not in ("done", "refused"):
            raise IllegalTransition("not_finished", "业务办理完成后才能评价", "you can rate once the service is finished")
        if op.c.execute("SELECT 1 FROM ratings WHERE ticket_id = ?", (ticket["id"],)).fetchone():
            raise Conflict("already_rated", "这次服务已经评价过了，感谢您的参与", "this service has already been rated")
        rating = op.put("rating", {
            "id": uuid.uuid4().hex, "ticket_id": ticket["id"], "window_id": ticket["window_id"],
            "staff_id": ticket["staff_id"], "service_id": ticket["service_id"],
            "business_date": ticket["business_date"], "level": level, "reasons": _j(reasons),
            "comment": comment, "channel": channel, "is_default": int(is_default), "excluded": 0, "at": op.now})
        op.emit("rating.given", level=level, level_zh=RATING_ZH[level], number=ticket["number"])
        if level <= BAD_RATING_MAX:
            summary = f"{ticket['number']} 差评（{RATING_ZH[level]}）：{'、'.join(reasons)}" + (f"；{comment}" if comment else "")
            self._open_case(op, "rating", summary, rating_id=rating["id"], ticket=ticket)
        return rating

    def _default_ratings(self, op: Op) -> int:
        """Tickets not rated within the configured days get the default level (e.g. 基本满意)."""
        cutoff = (dt.date.fromisoformat(op.business_date)
                  - dt.timedelta(days=self.config.ratings.default_after_days)).isoformat()
        # Only the days not yet handled: a year of history must not be rescanned every morning.
        done_through = self._meta(op.c, "default_ratings_through") or ""
        if done_through >= cutoff:
            return 0
        rows = op.c.execute(
            "SELECT t.* FROM tickets t LEFT JOIN ratings r ON r.ticket_id = t.id "
            "WHERE t.business_date > ? AND t.business_date <= ? AND t.state IN ('done', 'refused') "
            "AND r.id IS NULL", (done_through, cutoff)).fetchall()
        for row in rows:
            self._rate(op, dict(row), self.config.ratings.default_level, [], None, "default", True)
        op.put("meta", {"key": "default_ratings_through", "value": cutoff})
        return len(rows)

    def apply_default_ratings(self) -> int:
        with self._op() as op:
            return self._default_ratings(op)

    # ------------------------------------------------------------------ cases
    def _open_case(self, op: Op, source: str, summary: str, *, rating_id=None, complaint_id=None, ticket=None) -> dict:
        day = dt.date.fromisoformat(op.business_date)
        cc = self.config.cases
        reply_days = cc.reply_working_days if source == "rating" else cc.complaint_reply_working_days
        case = op.put("case", {
            "id": uuid.uuid4().hex, "source": source, "rating_id": rating_id, "complaint_id": complaint_id,
            "ticket_id": ticket["id"] if ticket else None, "window_id": ticket["window_id"] if ticket else None,
            "staff_id": ticket["staff_id"] if ticket else None, "service_id": ticket["service_id"] if ticket else None,
            "summary": summary[:500], "state": "open", "opened_at": op.now, "business_date": op.business_date,
            "revisit_due": self.calendar.add_working_days(day, cc.revisit_working_days).isoformat(),
            "rectify_due": self.calendar.add_working_days(day, min(cc.rectify_working_days, reply_days)).isoformat(),
            "reply_due": self.calendar.add_working_days(day, reply_days).isoformat(),
            "assigned_to": None, "contacted_at": None, "closed_at": None, "resolution": None})
        op.emit("case.opened", source=source, summary=case["summary"])
        return case

    def advance_case(self, case_id: str, step: str, staff_id: str, note: str = "", *, assignee: str | None = None) -> dict:
        """One step of the closed loop (核实 → 整改 → 回访 → 办结, or 申诉复核), logged with who and when."""
        if step not in CASE_STEPS:
            raise InvalidInput("bad_step", f"未知的处理步骤：{step}", f"unknown case step: {step}")
        allowed_from, to_state, note_required = CASE_STEPS[step]
        note = (note or "").strip()[:1000]
        if note_required and not note:
            raise InvalidInput("note_required", f"“{CASE_STEP_ZH[step]}”需要填写说明", f"step '{step}' needs a note")
        with self._op() as op:
            row = op.c.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
            if not row:
                raise NotFound("unknown_case", "找不到该工单", "no such case")
            case = dict(row)
            if case["state"] == CaseState.CLOSED:
                raise IllegalTransition("case_closed", "工单已办结", "the case is closed")
            if allowed_from is not None and case["state"] not in allowed_from:
                raise IllegalTransition("bad_case_step", f"当前状态（{case['state']}）不能执行“{CASE_STEP_ZH[step]}”",
                                        f"cannot '{step}' a case in state {case['state']}")
            if step == "close" and not op.c.execute(
                    "SELECT 1 FROM case_steps WHERE case_id = ? AND step = 'revisit'", (case_id,)).fetchone():
                raise IllegalTransition("revisit_required", "办结前必须有回访记录", "a case cannot close without a revisit note")
            updated = {**case}
            if to_state is not None:
                updated["state"] = str(to_state)
            if step == "assign":
                updated["assigned_to"] = assignee or note or staff_id
            if step == "contact" and not case["contacted_at"]:
                updated["contacted_at"] = op.now
            if step in ("revisit",) and not case["contacted_at"]:
                updated["contacted_at"] = op.now
            if updated["state"] == CaseState.CLOSED:
                updated["closed_at"] = op.now
                updated["resolution"] = "appeal_upheld" if step == "appeal_upheld" else "closed"
                if step == "appeal_upheld" and case["rating_id"]:
                    r = op.c.execute("SELECT * FROM ratings WHERE id = ?", (case["rating_id"],)).fetchone()
                    op.put("rating", {**dict(r), "excluded": 1})
            case = op.put("case", updated)
            op.put("case_step", {"id": uuid.uuid4().hex, "case_id": case_id, "step": step, "staff_id": staff_id,
                                 "note": note, "at": op.now})
            op.emit("case.advanced", step=step, step_zh=CASE_STEP_ZH[step])
            return case

    def case_overdue(self, case: dict, today: str | None = None) -> bool:
        today = today or self.business_date()
        if case["state"] == CaseState.CLOSED:
            return False
        if today > case["reply_due"]:
            return True
        if not case["contacted_at"] and today > case["revisit_due"]:
            return True
        return case["state"] in (CaseState.OPEN, CaseState.VERIFIED) and today > case["rectify_due"]

    def list_cases(self, *, state: str | None = None, overdue: bool | None = None) -> list[dict]:
        sql, args = "SELECT * FROM cases", []
        if state:
            sql += " WHERE state = ?"
            args.append(state)
        sql += " ORDER BY reply_due, opened_at"
        today = self.business_date()
        with self.store.read() as c:
            cases = [dict(r) for r in c.execute(sql, args)]
        for case in cases:
            case["overdue"] = self.case_overdue(case, today)
        if overdue is not None:
            cases = [c for c in cases if c["overdue"] == overdue]
        return cases

    def get_case(self, case_id: str) -> dict:
        with self.store.read() as c:
            row = c.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
            if not row:
                raise NotFound("unknown_case", "找不到该工单", "no such case")
            case = dict(row)
            case["steps"] = [dict(r) for r in c.execute("SELECT * FROM case_steps WHERE case_id = ? ORDER BY at, rowid", (case_id,))]
        case["overdue"] = self.case_overdue(case)
        return case

    # ------------------------------------------------------------------ complaints
    def file_complaint(self, category: str, text: str = "", phrases=(), phone: str | None = None,
                       kind: str = "complaint", source: str = "kiosk", ticket_token: str | None = None) -> dict:
        """吐槽找茬: a complaint or suggestion with a tracking code; each opens a case."""
        if kind not in ("complaint", "suggestion"):
            raise InvalidInput("bad_kind", "类型只能是投诉或建议", "kind must be complaint or suggestion")
        cats = {c.id: c for c in self.config.kiosk.complaint_categories}
        if cats and category not in cats:
            raise InvalidInput("bad_category", "请选择一个问题类别", f"unknown category: {category}")
        text = (text or "").strip()
        if len(text) > 1000:
            raise InvalidInput("text_too_long", "内容请控制在 1000 字以内", "text: at most 1000 characters")
        phrases = [str(p).strip()[:50] for p in (phrases or []) if str(p).strip()][:10]
        if not text and not phrases and not cats:
            raise InvalidInput("empty", "请选择或填写反映的问题", "choose or write what happened")
        phone = _mobile(phone)
        ticket = self.ticket_by_token(ticket_token) if ticket_token else None
        with self._op() as op:
            row = op.c.execute("SELECT last_number FROM counters WHERE business_date = ? AND service_id = ?",
                               (op.business_date, "~complaints")).fetchone()
            n = (row[0] if row else 0) + 1
            op.put("counter", {"business_date": op.business_date, "service_id": "~complaints", "last_number": n})
            code = f"TS{op.business_date.replace('-', '')}-{n:04d}"
            complaint = op.put("complaint", {
                "id": uuid.uuid4().hex, "code": code, "kind": kind, "category": category, "text": text,
                "phrases": _j(phrases), "has_contact": int(bool(phone)), "source": source,
                "ticket_id": ticket["id"] if ticket else None, "business_date": op.business_date,
                "at": op.now, "adopted": 0})
            if phone:
                purge = (dt.date.fromisoformat(op.business_date)
                         + dt.timedelta(days=max(self.config.privacy.phone_retention_days, 30))).isoformat()
                op.c.execute("INSERT INTO complaint_contacts (complaint_id, phone, purge_after) VALUES (?, ?, ?)",
                             (complaint["id"], phone, purge))
            cat = cats.get(category)
            op.emit("complaint.filed", code=code, category_zh=cat.zh if cat else category)
            summary = f"{'建议' if kind == 'suggestion' else '吐槽'}（{cat.zh if cat else category}）：" + "；".join(phrases + ([text] if text else []))
            self._open_case(op, "complaint", summary, complaint_id=complaint["id"], ticket=ticket)
            return complaint

    def adopt_suggestion(self, complaint_id: str, staff_id: str) -> dict:
        """An adopted suggestion marks its author as a 啄木鸟 contributor."""
        with self._op() as op:
            row = op.c.execute("SELECT * FROM complaints WHERE id = ?", (complaint_id,)).fetchone()
            if not row:
                raise NotFound("unknown_complaint", "找不到该条反映", "no such complaint")
            complaint = op.put("complaint", {**dict(row), "adopted": 1})
            op.emit("complaint.adopted", code=complaint["code"], staff_id=staff_id)
            return complaint

    def complaint_by_code(self, code: str) -> dict:
        with self.store.read() as c:
            row = c.execute("SELECT * FROM complaints WHERE code = ?", (code,)).fetchone()
            if not row:
                raise NotFound("unknown_complaint", "找不到该编号的反映", "no complaint with this code")
            out = dict(row)
            case = c.execute("SELECT state, reply_due FROM cases WHERE complaint_id = ?", (out["id"],)).fetchone()
        out["case_state"] = case["state"] if case else None
        out["reply_due"] = case["reply_due"] if case else None
        return out

    # ------------------------------------------------------------------ help requests
    def raise_help(self, kiosk: str, note: str | None = None) -> dict:
        with self._op() as op:
            existing = op.c.execute("SELECT * FROM help_requests WHERE kiosk = ? AND state != 'closed' "
                                    "ORDER BY raised_at DESC LIMIT 1", (kiosk,)).fetchone()
            if existing:      # a second press while someone is on the way is the same call
                return dict(existing)
            help_request = op.put("help_request", {
                "id": uuid.uuid4().hex, "kiosk": kiosk[:64], "note": (note or "")[:200], "state": "open",
                "raised_at": op.now, "ack_at": None, "ack_by": None, "closed_at": None, "closed_by": None,
                "business_date": op.business_date})
            op.emit("help.raised", kiosk=kiosk)
            return help_request

    def _help(self, c, help_id: str) -> dict:
        row = c.execute("SELECT * FROM help_requests WHERE id = ?", (help_id,)).fetchone()
        if not row:
            raise NotFound("unknown_help_request", "找不到该求助", "no such help request")
        return dict(row)

    def get_help(self, help_id: str) -> dict:
        with self.store.read() as c:
            return self._help(c, help_id)

    def acknowledge_help(self, help_id: str, staff_id: str) -> dict:
        with self._op() as op:
            h = self._help(op.c, help_id)
            if h["state"] != "open":
                raise IllegalTransition("not_open", "该求助已有人响应或已关闭", "this help request is already taken or closed")
            h = op.put("help_request", {**h, "state": "acknowledged", "ack_at": op.now, "ack_by": staff_id})
            op.emit("help.acknowledged", kiosk=h["kiosk"])
            return h

    def close_help(self, help_id: str, staff_id: str) -> dict:
        with self._op() as op:
            h = self._help(op.c, help_id)
            if h["state"] == "closed":
                raise IllegalTransition("closed", "该求助已关闭", "this help request is already closed")
            h = op.put("help_request", {**h, "state": "closed", "closed_at": op.now, "closed_by": staff_id,
                                        "ack_at": h["ack_at"] or op.now, "ack_by": h["ack_by"] or staff_id})
            op.emit("help.closed", kiosk=h["kiosk"])
            return h

    # ------------------------------------------------------------------ printing
    def record_print_failure(self, ticket_id: str, reason: str) -> dict:
        """A kiosk could not print a committed ticket: staff are alerted, nothing is lost."""
        with self._op() as op:
            ticket = self._ticket(op.c, ticket_id)
            ticket = op.put("ticket", {**ticket, "printed": 0})
            op.emit("printer.failed", number=ticket["number"], reason=(reason or "")[:200])
            return ticket

    # ------------------------------------------------------------------ the business day
    def business_date(self) -> str:
        with self.store.read() as c:
            stored = self._meta(c, "business_date")
        today = self._calendar_date(self.clock.now())
        return max(stored, today) if stored else today

    def ensure_business_day(self) -> str:
        with self._op() as op:
            return op.business_date

    def _close_day(self, op: Op, day: str) -> int:
        # Two queries over the partial indexes of open tickets; `+business_date` keeps SQLite
        # from walking tickets_day, which holds every ticket of every past day.
        rows = op.c.execute("SELECT * FROM tickets WHERE state = 'waiting' AND +business_date <= ?",
                            (day,)).fetchall()
        rows += op.c.execute("SELECT * FROM tickets WHERE state IN ('called', 'serving', 'held') "
                             "AND +business_date <= ?", (day,)).fetchall()
        for row in rows:
            op.put("ticket", {**dict(row), "state": "expired", "finished_at": op.now})
        for row in op.c.execute("SELECT * FROM windows WHERE active = 1").fetchall():
            w = dict(row)
            if w["current_ticket_id"] or w["state"] != "closed" or w["served_counts"] != "{}" or w["staff_id"]:
                # Everyone is signed out at day close: a new day starts with clean windows.
                op.put("window", {**w, "current_ticket_id": None, "state": "closed", "served_counts": "{}",
                                  "staff_id": None, "changed_at": op.now})
        op.emit("day.closed", business_date=day, expired=len(rows))
        return len(rows)

    def close_business_day(self) -> int:
        """Close today now (expire what is still open); the next operation after the
        rollover hour opens the next day. Returns how many tickets expired."""
        with self._op() as op:
            return self._close_day(op, op.business_date)

    def _purge_contacts(self, op: Op, today: str) -> None:
        """Personal data past its retention is deleted (not an event: it never was one).
        With sync on, the sync process purges instead, once central has acknowledged the
        ticket's events (sync.hallside), so nothing is deleted that central has not got."""
        if self.config.sync.enabled:
            return
        op.c.execute("DELETE FROM ticket_contacts WHERE purge_after < ?", (today,))
        op.c.execute("DELETE FROM complaint_contacts WHERE purge_after < ?", (today,))

    # ------------------------------------------------------------------ overviews
    def services_overview(self) -> list[dict]:
        """Per service: waiting count, estimated wait for a new ticket, open now, full."""
        now = self.clock.now()
        bd = self.business_date()
        local = self._local(now).strftime("%H:%M")
        day_open = self.hall_days.is_working_day(dt.date.fromisoformat(bd))
        with self.store.read() as c:
            waiting = dict(c.execute("SELECT service_id, COUNT(*) FROM tickets WHERE state = 'waiting' "
                                     "GROUP BY service_id").fetchall())
            issued = dict(c.execute("SELECT service_id, last_number FROM counters WHERE business_date = ?", (bd,)).fetchall())
            out = []
            for s in c.execute("SELECT * FROM services WHERE active = 1 ORDER BY position").fetchall():
                s = dict(s)
                n = waiting.get(s["id"], 0)
                windows = self._open_windows_for(c, s["id"])
                cutoff = min(self.config.day.ticket_cutoff, s["ticket_cutoff"] or "23:59")
                full = issued.get(s["id"], 0) >= s["daily_cap"]
                open_now = day_open and self.config.day.open <= local < cutoff and not full
                out.append({
                    "id": s["id"], "name_zh": s["name_zh"], "name_en": s["name_en"], "prefix": s["prefix"],
                    "domain": s["domain"], "kind": s["kind"], "pinned": bool(s["pinned"]),
                    "appointments": bool(s["appointments"]), "materials": json.loads(s["materials"]),
                    "daily_cap": s["daily_cap"], "issued_today": issued.get(s["id"], 0),
                    "waiting": n, "open_windows": windows,
                    "eta_minutes": policy.eta_minutes(n, self._avg_seconds(c, s), windows or 1),
                    "open_now": open_now, "full": full,
                    "closed_reason": None if open_now else ("full" if full else ("closed_today" if not day_open else
                                                            ("not_open_yet" if local < self.config.day.open else "cutoff"))),
                })
        return out

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


__all__ = ["Engine", "ManualClock", "SystemClock", "DomainError", "ESCALATE_TO", "CASE_STEPS"]
