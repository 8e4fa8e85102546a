"""Shared reads inside and outside a transaction: services, windows, tickets, local time.

Rules kept here:
- only active services and windows can be acted on; a ticket is looked up by id or token;
- a citizen's token leads to the ticket they hold now: transfers are followed (at most 20 hops);
  a token is derived from the ticket id (hall/tokens.py), or one printed before that (legacy);
- the full phone number is read only for the notice sender (`phone_for`).
"""

from __future__ import annotations

import datetime as dt
import math
import re

from hall import tokens
from hall.errors import (
    IllegalTransition,
    NotFound,
)
from hall.models import (
    TicketState,
)


class LookupsMixin:
    """Engine methods: shared reads inside and outside a transaction: services, windows, tickets, local time. Composed into hall.engine.Engine."""

    def _local(self, t: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(t, self.tz)

    def _hhmm(self, t: float) -> str:
        return self._face(t)[0]

    def _working_day(self, business_date: str) -> bool:
        """Whether the hall works on a business date (hall_days), asked once per date."""
        hit = self._working_days.get(business_date)
        if hit is None or hit[0] is not self.hall_days:
            if len(self._working_days) > 64:
                self._working_days.clear()
            hit = self._working_days[business_date] = (
                self.hall_days, self.hall_days.is_working_day(dt.date.fromisoformat(business_date)))
        return hit[1]

    def _face(self, t: float) -> tuple[str, str]:
        """(local HH:MM, calendar date of the business day) at `t`: every operation asks, so
        they are worked out once per local minute (the roll-over is on a whole minute)."""
        face = self._face_cache
        if face is not None and face[0] <= t < face[1] and face[2] is self.config.day and face[3] is self.tz:
            return face[4], face[5]
        local = self._local(t)
        h, m = (int(x) for x in self.config.day.rollover.split(":"))
        hhmm = local.strftime("%H:%M")
        calendar = (local - dt.timedelta(hours=h, minutes=m)).date().isoformat()
        start = math.floor(t) - local.second
        self._face_cache = (start, start + 60, self.config.day, self.tz, hhmm, calendar)
        return hhmm, calendar

    def _at(self, date: str, hhmm: str) -> float:
        d = dt.date.fromisoformat(date)
        h, m = (int(x) for x in hhmm.split(":"))
        return dt.datetime(d.year, d.month, d.day, h, m, tzinfo=self.tz).timestamp()

    def _meta(self, c, key: str) -> str | None:
        row = c.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _service(self, c, service_id: str) -> dict:
        row = c.execute("SELECT * FROM services WHERE id = ? AND active = 1", (service_id,)).fetchone()
        if not row:
            raise NotFound("unknown_service", f"没有这项业务：{service_id}", f"no such service: {service_id}")
        return dict(row)

    def _op_service(self, op, service_id: str) -> dict:
        """`_service` inside an operation, from what the engine keeps (hall/engine.py `_op`
        drops it when anyone else wrote); a copy, so the caller may change it."""
        row = self._services.get(service_id)
        if row is None:
            row = self._services[service_id] = self._service(op.c, service_id)
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
        return {**row, "token": self.token_for(ticket_id)}

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

    def _service_any(self, c, service_id: str) -> dict:
        row = c.execute("SELECT * FROM services WHERE id = ?", (service_id,)).fetchone()
        return dict(row)

    def get_ticket(self, ticket_id: str) -> dict:
        with self.store.read() as c:
            return self._ticket(c, ticket_id)

    def ticket_by_token(self, token: str) -> dict:
        """The live ticket behind a citizen's token (transfers followed)."""
        if not isinstance(token, str) or not re.match(r"^[A-Za-z0-9_-]{10,64}$", token):
            raise NotFound("unknown_token", "号票链接无效", "invalid ticket link")
        ticket_id = tokens.ticket_id_of(self._secret, token)
        with self.store.read() as c:
            if ticket_id is None:       # a link printed before tokens were derived
                row = c.execute("SELECT ticket_id FROM ticket_legacy_tokens WHERE token = ?", (token,)).fetchone()
                ticket_id = row[0] if row else None
            row = c.execute("SELECT id FROM tickets WHERE id = ?", (ticket_id,)).fetchone() if ticket_id else None
            if not row:
                raise NotFound("unknown_token", "找不到这张号票，请核对链接", "no ticket for this link")
            return self._live_ticket(c, self._ticket(c, ticket_id))

    def phone_for(self, ticket_id: str) -> str | None:
        """The full phone number: only for the notice sender (and masked display by callers)."""
        with self.store.read() as c:
            row = c.execute("SELECT phone FROM ticket_contacts WHERE ticket_id = ?", (ticket_id,)).fetchone()
            return row[0] if row else None
