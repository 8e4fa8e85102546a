"""Rebuild the state tables from the events alone, and compare two databases' state.

Replay rebuilds every table under ROW_KEYS (hall/events.py) from the rows the events carry,
and waiting_counts through the tickets' own triggers (it is derived, so it is compared too).

Tables replay does NOT rebuild, on purpose:
- ticket_contacts, complaint_contacts: phone numbers; never in an event (PIPL), purged;
- issue_requests: idempotency keys with a keyed MAC of the request; hall-only, kept one day;
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

from hall.events import ROW_KEYS
from hall.store import Store

STATE_TABLES = sorted(set(ROW_KEYS.values()))
DERIVED_TABLES = ["waiting_counts"]      # kept by triggers on tickets; replay rebuilds it too


def replay_into(events: list[dict] | object, dest: Store) -> int:
    """Apply each event's rows (upserts) in seq order into `dest` (an empty, migrated store).

    A payload row is the full row with its NULL columns left out: a missing nullable column is
    NULL. A missing NOT NULL column can only come from an event written before that column
    existed: it takes its default on insert and is left alone on update."""
    cols: dict[str, list[str]] = {}
    pks: dict[str, tuple[str, ...]] = {}
    nullable: dict[str, list[str]] = {}
    with dest.read() as c:
        for table in STATE_TABLES:
            info = c.execute(f"PRAGMA table_info({table})").fetchall()
            cols[table] = [r["name"] for r in info]
            pks[table] = tuple(r["name"] for r in sorted(info, key=lambda r: r["pk"]) if r["pk"])
            nullable[table] = [r["name"] for r in info if not r["notnull"] and not r["pk"]]
    n = 0
    with dest.transaction() as c:
        c.execute("PRAGMA defer_foreign_keys=ON")
        for event in events:
            for key, rows in event["payload"].items():
                table = ROW_KEYS.get(key)
                if table is None or not isinstance(rows, dict | list):
                    continue
                for row in rows if isinstance(rows, list) else [rows]:
                    names = [k for k in cols[table] if k in row]
                    sets = [f"{k}=excluded.{k}" for k in names if k not in pks[table]]
                    sets += [f"{k}=NULL" for k in nullable[table] if k not in row]
                    c.execute(f"INSERT INTO {table} ({','.join(names)}) VALUES ({','.join('?' * len(names))}) "
                              f"ON CONFLICT ({','.join(pks[table])}) DO UPDATE SET {','.join(sets)}",
                              [row[k] for k in names])
            n += 1
    return n


def state_digest(store: Store) -> dict[str, str]:
    """A digest per state table of its full contents, in primary-key order."""
    out = {}
    with store.read() as c:
        for table in STATE_TABLES + DERIVED_TABLES:
            h = hashlib.sha256()
            for row in c.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                h.update(json.dumps(list(row), default=str).encode())
            out[table] = h.hexdigest()[:16]
    return out
