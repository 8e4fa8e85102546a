"""Help requests from kiosks: raise, acknowledge, close.

Rules kept here:
- a second press at a kiosk while its request is open is the same request;
- open → acknowledged → closed; closing an unacknowledged request acknowledges it too;
- the kiosk that raised a request may cancel it (the citizen no longer needs help): it is
  closed with closed_by "kiosk:<name>" and no acknowledgement is invented.
"""

from __future__ import annotations

import uuid

from hall.errors import (
    IllegalTransition,
    NotFound,
)


class HelpdeskMixin:
    """Engine methods: help requests from kiosks: raise, acknowledge, close. Composed into hall.engine.Engine."""

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

    def cancel_help(self, help_id: str, kiosk: str) -> dict:
        """The citizen at the kiosk that called no longer needs help: close the call there."""
        with self._op() as op:
            h = self._help(op.c, help_id)
            if h["kiosk"] != kiosk[:64]:
                raise NotFound("unknown_help_request", "找不到该求助", "no such help request")
            if h["state"] == "closed":
                return h          # staff closed it meanwhile; the citizen's wish is met
            h = op.put("help_request", {**h, "state": "closed", "closed_at": op.now,
                                        "closed_by": f"kiosk:{kiosk}"[:64]})
            op.emit("help.closed", kiosk=h["kiosk"], cancelled=True)
            return h
