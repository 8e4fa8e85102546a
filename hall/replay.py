"""Rebuild the state tables from the events alone, and compare two databases' state."""

from __future__ import annotations

import hashlib
import json

from hall.events import ROW_KEYS
from hall.store import Store

STATE_TABLES = sorted(set(ROW_KEYS.values()))


def replay_into(events: list[dict] | object, dest: Store) -> int:
    """Apply each event's rows (upserts) in seq order into `dest` (an empty, migrated store)."""
    cols: dict[str, list[str]] = {}
    pks: dict[str, tuple[str, ...]] = {}
    with dest.read() as c:
        for table in STATE_TABLES:
            info = c.execute(f"PRAGMA table_info({table})").fetchall()
            cols[table] = [r["name"] for r in info]
            pks[table] = tuple(r["name"] for r in sorted(info, key=lambda r: r["pk"]) if r["pk"])
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
                    updates = ",".join(f"{k}=excluded.{k}" for k in names if k not in pks[table])
                    c.execute(f"INSERT INTO {table} ({','.join(names)}) VALUES ({','.join('?' * len(names))}) "
                              f"ON CONFLICT ({','.join(pks[table])}) DO UPDATE SET {updates}",
                              [row[k] for k in names])
            n += 1
    return n


def state_digest(store: Store) -> dict[str, str]:
    """A digest per state table of its full contents, in primary-key order."""
    out = {}
    with store.read() as c:
        for table in STATE_TABLES:
            h = hashlib.sha256()
            for row in c.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                h.update(json.dumps(list(row), default=str).encode())
            out[table] = h.hexdigest()[:16]
    return out
