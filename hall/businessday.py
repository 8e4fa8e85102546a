"""The business day: roll-over, day close, default ratings, purge of personal data.

Rules kept here:
- the business date never moves backwards, whatever the clock does;
- the day rolls over at `day.rollover` local time, once, inside the first operation after it:
  the old day is closed (open tickets expire, windows are cleared and everyone signed out),
  default ratings are given, and day.opened carries the rows;
- contacts past their retention are deleted at roll-over, not as events (they never were);
  with sync on, the sync process purges instead, once central has acknowledged them;
- idempotency keys (issue_requests) of earlier days are deleted at every roll-over.
"""

from __future__ import annotations

from hall.op import Op


class BusinessDayMixin:
    """Engine methods: the business day: roll-over, day close, default ratings, purge of personal data. Composed into hall.engine.Engine."""

    def _calendar_date(self, now: float) -> str:
        return self._face(now)[1]       # hall/lookups.py: local time less day.rollover

    def _ensure_day(self, op: Op) -> str:
        """The business date for `op.now`; rolls the day over (once) when the date moved on."""
        today = self._calendar_date(op.now)
        stored = self._stored_day           # kept between operations (hall/engine.py `_op`)
        if stored is None or today > stored:
            stored = self._meta(op.c, "business_date")
        if stored is not None and today <= stored:
            self._stored_day = stored
            return stored          # never backwards, even if the clock is
        if stored is not None:
            op.business_date = stored
            self._close_day(op, stored)
        op.business_date = today
        op.put("meta", {"key": "business_date", "value": today})
        self._default_ratings(op)
        op.emit("day.opened", business_date=today)     # carries every row written above
        self._purge_contacts(op, today)
        self._purge_matter_phones(op, today)          # hall/matters.py
        return today

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
        # Idempotency keys only serve a kiosk's retries of the same minute; they are hall-only
        # (never synced), so they go at every roll-over, sync or not.
        op.c.execute("DELETE FROM issue_requests WHERE business_date < ?", (today,))
        if self.config.sync.enabled:
            return
        op.c.execute("DELETE FROM ticket_contacts WHERE purge_after < ?", (today,))
        op.c.execute("DELETE FROM complaint_contacts WHERE purge_after < ?", (today,))
        op.c.execute("DELETE FROM rating_contacts WHERE purge_after < ?", (today,))
