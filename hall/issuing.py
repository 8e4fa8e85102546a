"""Issuing tickets: numbers, opening hours, caps, idempotency, remote check-in, walk-outs.

Rules kept here:
- ticket numbers come from the day's counter row, which the ticket's own insert moves on
  (a trigger, schema 1200) in the same transaction: never reused, no gaps;
- no ticket outside the hall's working days, before opening or after the (service's) cut-off;
- a service's daily cap is enforced for walk-in tickets (not for appointments);
- the same idempotency key returns the same ticket; with a different request it is refused;
  the key and a keyed MAC of the request live in issue_requests (not an event, purged at the
  day's roll-over), never in the ticket row;
- a phone number lives only in ticket_contacts (with a purge date), never in the ticket row;
- the estimate at issue is taken before the ticket is written, so it does not count itself;
- a remote ticket is callable once checked in; only a waiting ticket can be cancelled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from hall import tokens
from hall.errors import (
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    Refused,
)
from hall.models import (
    PRIORITY_RANK,
    Priority,
)
from hall.op import Op, _j, _mobile, new_id


class IssuingMixin:
    """Engine methods: issuing tickets: numbers, opening hours, caps, idempotency, remote check-in, walk-outs. Composed into hall.engine.Engine."""

    def _check_open_for_tickets(self, op: Op, service: dict) -> None:
        hhmm = self._hhmm(op.now)
        if not self._working_day(op.business_date):
            raise Refused("closed_today", "今日大厅不办公，请在工作日前来", "the hall is closed today")
        if hhmm < self.config.day.open:
            raise Refused("not_open_yet", f"尚未开始取号，{self.config.day.open} 开始取号",
                          f"ticketing starts at {self.config.day.open}")
        cutoff = min(self.config.day.ticket_cutoff, service["ticket_cutoff"] or "23:59")
        if hhmm >= cutoff:
            raise Refused("cutoff", f"今日已停止取号（{cutoff} 截止），请明天再来或预约办理",
                          f"no more tickets today (cut-off {cutoff}); come back tomorrow or book online")

    def _next_number(self, op: Op, service: dict, *, enforce_cap: bool) -> tuple[int, str]:
        key = (op.business_date, service["id"])
        last = self._numbers.get(key)       # kept while every commit is the engine's own
        if last is None:
            row = op.c.execute("SELECT last_number FROM counters WHERE business_date = ? AND service_id = ?",
                               key).fetchone()
            last = row[0] if row else 0
        if enforce_cap and last >= service["daily_cap"]:
            raise Refused("full", f"{service['name_zh']}今日号源已满（{service['daily_cap']} 个），请明天再来或网上预约",
                          f"{service['name_en'] or service['id']} is full today ({service['daily_cap']} tickets)")
        n = last + 1     # the ticket's insert moves the counter on (schema 1200's trigger)
        if len(self._numbers) > 256:
            self._numbers.clear()
        self._numbers[key] = n      # dropped with the rest if this operation rolls back
        return n, f"{service['prefix']}{n:0{self.config.queue.ticket_digits}d}"

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
        mac = None
        if idempotency_key:
            digest = request_hash or self.request_hash(service_id, priority_reason, phone, lang, source)
            mac = tokens.request_mac(self._secret, digest)
        with self._op() as op:
            if idempotency_key:
                row = op.c.execute("SELECT ticket_id, request_mac FROM issue_requests WHERE idempotency_key = ?",
                                   (idempotency_key,)).fetchone()
                if row:
                    if row["request_mac"] != mac:
                        raise IdempotencyConflict("idempotency_conflict", "同一请求标识用于不同的取号请求",
                                                  "this Idempotency-Key was already used for a different request")
                    return self._ticket(op.c, row["ticket_id"]), False
            service = self._op_service(op, service_id)
            self._check_open_for_tickets(op, service)
            ticket = self._new_ticket(op, service, priority=priority, priority_reason=priority_reason,
                                      source=source, source_detail=source_detail, lang=lang,
                                      checked_in=checked_in, phone=phone)
            if idempotency_key:
                # Hall-only, not an event: a retry's key and the request's MAC (hall/tokens.py).
                op.c.execute("INSERT INTO issue_requests (idempotency_key, ticket_id, request_mac, business_date) "
                             "VALUES (?, ?, ?, ?)", (idempotency_key, ticket["id"], mac, op.business_date))
            return ticket, True

    def _new_ticket(self, op: Op, service: dict, *, priority: Priority, priority_reason=None, source="kiosk",
                    source_detail=None, lang="zh", checked_in=True,
                    phone=None, not_before=None, appointment_id=None, enforce_cap=True) -> dict:
        seq_no, number = self._next_number(op, service, enforce_cap=enforce_cap)
        ticket = {
            "id": new_id(op.now), "business_date": op.business_date, "service_id": service["id"],
            "number": number, "seq_no": seq_no, "priority": str(priority), "priority_reason": priority_reason,
            "rank": PRIORITY_RANK[priority], "not_before": not_before, "target_window_id": None,
            "return_window_id": None, "source": source, "source_detail": source_detail,
            "state": "waiting", "checked_in": int(checked_in),
            "issued_at": op.now, "sort_at": op.now, "recalls": 0, "has_phone": int(bool(phone)), "lang": lang,
            "appointment_id": appointment_id,
        }
        # Estimate before writing so the ticket does not count itself.
        ahead, eta = self._estimate(op.c, ticket, new=True)
        ticket["ahead_at_issue"], ticket["eta_at_issue"] = ahead, eta
        ticket = op.put("ticket", ticket, issued=True)
        if phone:
            purge = (dt.date.fromisoformat(op.business_date)
                     + dt.timedelta(days=self.config.privacy.phone_retention_days)).isoformat()
            op.c.execute("INSERT INTO ticket_contacts (ticket_id, phone, purge_after) VALUES (?, ?, ?)",
                         (ticket["id"], phone, purge))
        op.emit("ticket.issued", number=number, ahead=ahead, eta_minutes=eta,
                service_name_zh=service["name_zh"])
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

    def record_print_failure(self, ticket_id: str, reason: str) -> dict:
        """A kiosk could not print a committed ticket: staff are alerted, nothing is lost."""
        with self._op() as op:
            ticket = self._ticket(op.c, ticket_id)
            ticket = op.put("ticket", {**ticket, "printed": 0})
            op.emit("printer.failed", number=ticket["number"], reason=(reason or "")[:200])
            return ticket
