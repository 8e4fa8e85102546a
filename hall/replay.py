"""Rebuild the state tables from the events alone, and compare two databases' state.

Replay rebuilds every table under ROW_KEYS (hall/events.py) from the rows the events carry,
and the derived columns (DERIVED_COLUMNS: the waiting counts and ticket numbers kept in
counters) through the tickets' own triggers; they are compared like the rest.

Tables replay does NOT rebuild, on purpose:
- ticket_contacts, complaint_contacts: phone numbers; never in an event (PIPL), purged;
- issue_requests: idempotency keys with a keyed MAC of the request; hall-only, kept one day;
- the hall-only columns of event-sourced tables (HALL_ONLY_COLUMNS: the idempotency key and
  request hash of complaints and ratings): left out of events, NULL after a replay;
- hall_secrets: the key tokens are derived with; an event must not carry it;
- ticket_legacy_tokens: links printed before tokens were derived (frozen at migration 0500);
- notices, sync_*, devices, staff credentials and sessions, display layouts, the config layer
  and its audit: each module's own tables, written outside the queue's events.
A database rebuilt from events alone therefore has a new secret: tickets keep their ids and
state, and citizens' links from before the rebuild stop working.
"""

from __future__ import annotations

import hashlib
import json

from hall.events import DERIVED_COLUMNS, HALL_ONLY_COLUMNS, ROW_KEYS
from hall.store import Store

STATE_TABLES = sorted(set(ROW_KEYS.values()))


class RowApplier:
    """Upserts the rows of event payloads into a store's state tables (replay, restore).

    A payload row is the full row with its NULL columns left out: a missing nullable column is
    NULL. A missing NOT NULL column can only come from an event written before that column
    existed: it takes its default on insert and is left alone on update. Hall-only columns
    (HALL_ONLY_COLUMNS) are never in events and are not touched; derived ones
    (DERIVED_COLUMNS) are the triggers' to keep."""

    def __init__(self, c) -> None:
        self.cols: dict[str, list[str]] = {}
        self.pks: dict[str, tuple[str, ...]] = {}
        self.nullable: dict[str, list[str]] = {}
        for table in STATE_TABLES:
            info = c.execute(f"PRAGMA table_info({table})").fetchall()
            hall_only = HALL_ONLY_COLUMNS.get(table, ()) + DERIVED_COLUMNS.get(table, ())
            self.cols[table] = [r[1] for r in info if r[1] not in hall_only]
            self.pks[table] = tuple(r[1] for r in sorted(info, key=lambda r: r[5]) if r[5])
            self.nullable[table] = [r[1] for r in info if not r[3] and not r[5] and r[1] not in hall_only]

    def apply(self, c, payload: dict) -> None:
        for key, rows in payload.items():
            table = ROW_KEYS.get(key)
            if table is None or not isinstance(rows, dict | list):
                continue
            for row in rows if isinstance(rows, list) else [rows]:
                if not isinstance(row, dict):
                    continue
                names = [k for k in self.cols[table] if k in row]
                pk = self.pks[table]
                sets = [f"{k}=excluded.{k}" for k in names if k not in pk]
                sets += [f"{k}=NULL" for k in self.nullable[table] if k not in row]
                conflict = f"DO UPDATE SET {','.join(sets)}" if sets else "DO NOTHING"
                c.execute(f"INSERT INTO {table} ({','.join(names)}) VALUES ({','.join('?' * len(names))}) "
                          f"ON CONFLICT ({','.join(pk)}) {conflict}", [row[k] for k in names])


def replay_into(events: list[dict] | object, dest: Store) -> int:
    """Apply each event's rows (upserts) in seq order into `dest` (an empty, migrated store)."""
    with dest.read() as c:
        applier = RowApplier(c)
    n = 0
    with dest.transaction() as c:
        c.execute("PRAGMA defer_foreign_keys=ON")
        for event in events:
            applier.apply(c, event["payload"])
            n += 1
    return n


def state_digest(store: Store) -> dict[str, str]:
    """A digest per state table of its contents (hall-only columns aside), in key order."""
    out = {}
    with store.read() as c:
        for table in STATE_TABLES:
            h = hashlib.sha256()
            hall_only = HALL_ONLY_COLUMNS.get(table, ())
            cols = [r[1] for r in c.execute(f"PRAGMA table_info({table})") if r[1] not in hall_only]
            for row in c.execute(f"SELECT {','.join(cols)} FROM {table} ORDER BY 1, 2"):
                h.update(json.dumps(list(row), default=str).encode())
            out[table] = h.hexdigest()[:16]
    return out
