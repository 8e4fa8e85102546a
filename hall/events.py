"""Event types, appending events inside a transaction, reading them back, and the live feed.

The events table is at once the feed that displays and the API stream follow (after=seq),
the outbox that sync uploads, and the audit trail. Payloads carry the full new rows of the
state tables a change touched, under the keys of ROW_KEYS, so replaying the events rebuilds
the state tables exactly (see hall/replay.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
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

# Columns of event-sourced tables that only make retries idempotent on this hall: never put in
# an event (issue 15: no idempotency key or request hash in any payload), so not rebuilt by
# replay (hall/replay.py). Tickets keep theirs in issue_requests instead.
HALL_ONLY_COLUMNS = {
    "complaints": ("idempotency_key", "request_hash"),
    "ratings": ("idempotency_key",),
}

# Columns the tickets' triggers keep (schema 1200): never in an event, never written by
# Op.put; replay rebuilds them through the same triggers, and they are compared like the rest.
DERIVED_COLUMNS = {
    "counters": ("waiting_r0", "waiting_r1", "waiting_r2", "waiting_away"),
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


class _RandomBits:
    """80-bit random tails from os.urandom, read 4,000 bytes at a time rather than one system
    call per id (two per issue). A forked child starts with an empty buffer, so no two
    processes hand out the same bits."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._buf, self._pos = b"", 0

    def next20(self) -> str:
        """20 hex digits nobody was given before."""
        with self._lock:
            if self._pos + 10 > len(self._buf):
                self._buf, self._pos = os.urandom(4000), 0
            self._pos += 10
            return self._buf[self._pos - 10:self._pos].hex()


_random_bits = _RandomBits()


def time_ordered_id(at: float) -> str:
    """32 hex digits: the time in milliseconds, then 80 random bits. Rows and index entries
    keyed by it are appended at the end of their B-tree instead of landing on a random page."""
    return f"{int(at * 1000) & 0xFFFFFFFFFFFF:012x}{_random_bits.next20()}"


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode   # compact, made once


def append_event(conn: sqlite3.Connection, type_: str, payload: dict[str, Any], *,
                 at: float, business_date: str) -> int:
    """Append one event inside the caller's transaction; returns its seq."""
    if type_ not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    cur = conn.execute(
        "INSERT INTO events (id, type, at, business_date, payload) VALUES (?, ?, ?, ?, ?)",
        (time_ordered_id(at), type_, at, business_date, _encode(payload)),
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


def last_seq_before(conn: sqlite3.Connection, business_date: str, *, inclusive: bool = False) -> int:
    """The last seq whose business date is before `business_date` (or on it, `inclusive`);
    0 if none. The engine's business date never goes backwards along seq, so this bisects on
    the primary key (about 25 seeks for a year) instead of keeping an index on the date,
    which every event would pay a page for."""
    lo, hi = conn.execute("SELECT MIN(seq), MAX(seq) FROM events").fetchone()
    if lo is None:
        return 0
    best = 0
    while lo <= hi:
        mid = (lo + hi) // 2
        seq, date = conn.execute("SELECT seq, business_date FROM events WHERE seq >= ? ORDER BY seq LIMIT 1",
                                 (mid,)).fetchone()
        if date < business_date or (inclusive and date == business_date):
            best = max(best, seq)
            lo = seq + 1
        else:
            hi = mid - 1
    return best


def count_events_of_day(conn: sqlite3.Connection, business_date: str) -> int:
    """How many events belong to one business day (a seq range: see last_seq_before)."""
    first, last = last_seq_before(conn, business_date), last_seq_before(conn, business_date, inclusive=True)
    return conn.execute("SELECT COUNT(*) FROM events WHERE seq > ? AND seq <= ?", (first, last)).fetchone()[0]

