"""Event types, appending events inside a transaction, reading them back, and the live feed.

The events table is at once the feed that displays and the API stream follow (after=seq),
the outbox that sync uploads, and the audit trail. Payloads carry the full new rows of the
state tables a change touched, under the keys of ROW_KEYS, so replaying the events rebuilds
the state tables exactly (see hall/replay.py).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from typing import Any

# payload key -> state table; a payload value is one row (dict) or a list of rows.
ROW_KEYS = {
    "service": "services",
    "window": "windows",
    "counter": "counters",
    "appointment": "appointments",
    "ticket": "tickets",
    "call": "calls",
    "rating": "ratings",
    "complaint": "complaints",
    "case": "cases",
    "case_step": "case_steps",
    "refusal": "refusals",
    "help_request": "help_requests",
    "service_stat": "service_stats",
    "staff": "staff",
    "meta": "meta",
    # matters (办件), hall/matters.py
    "matter": "matters",
    "matter_step": "matter_steps",
    "matter_visit": "matter_visits",
    "hotline_item": "hotline_items",       # issue 16: 12345 items
}

EVENT_TYPES = {
    "config.applied", "day.opened", "day.closed",
    "ticket.issued", "ticket.checked_in", "ticket.called", "ticket.recalled", "ticket.held",
    "ticket.resumed", "ticket.requeued", "ticket.started", "ticket.finished", "ticket.no_show",
    "ticket.walked_out", "ticket.transferred", "ticket.refused", "ticket.expired",
    "window.opened", "window.paused", "window.closed", "window.signed_in", "window.signed_out",
    "rating.requested", "rating.given", "case.opened", "case.advanced",
    "complaint.filed", "complaint.adopted", "refusal.reviewed",
    "help.raised", "help.acknowledged", "help.closed",
    "appointment.upserted", "printer.failed", "staff.changed", "display.layout_changed",
    # matters (办件), hall/matters.py
    "matter.opened", "matter.advanced", "matter.ready", "matter.supplied", "matter.filed",
    "matter.pickup_queued", "matter.handed_over",
    "hotline.received",
}


class EventFeed:
    """In-process wake-up for followers of the event log (SSE, long-poll, device binding)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.last_seq = 0

    def notify(self, seq: int) -> None:
        with self._cond:
            if seq > self.last_seq:
                self.last_seq = seq
            self._cond.notify_all()

    def wait_after(self, seq: int, timeout: float) -> bool:
        """Block until an event with seq > `seq` has been committed, or timeout; True if so."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.last_seq <= seq:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True


def append_event(conn: sqlite3.Connection, type_: str, payload: dict[str, Any], *,
                 at: float, business_date: str) -> int:
    """Append one event inside the caller's transaction; returns its seq."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    cur = conn.execute(
        "INSERT INTO events (id, type, at, business_date, payload) VALUES (?, ?, ?, ?, ?)",
        (uuid.uuid4().hex, type_, at, business_date,
         json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)),
    )
    return cur.lastrowid


def event_row(row: sqlite3.Row | tuple) -> dict:
    seq, id_, type_, at, bd, payload = tuple(row)
    return {"seq": seq, "id": id_, "type": type_, "at": at, "business_date": bd,
            "payload": json.loads(payload)}


def read_events(store, after_seq: int = 0, limit: int = 500, types: list[str] | None = None) -> list[dict]:
    """Events with seq > after_seq in seq order (at most `limit`)."""
    sql = "SELECT seq, id, type, at, business_date, payload FROM events WHERE seq > ?"
    args: list[Any] = [after_seq]
    if types:
        sql += f" AND type IN ({','.join('?' * len(types))})"
        args += types
    sql += " ORDER BY seq LIMIT ?"
    args.append(limit)
    with store.read() as c:
        return [event_row(r) for r in c.execute(sql, args)]


def last_seq(store) -> int:
    with store.read() as c:
        return c.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
