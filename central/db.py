"""The central's storage: plain SQL on SQLite or PostgreSQL, with a tiny dialect layer."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from pathlib import Path

# One schema for both databases: only types both understand (TEXT, BIGINT, DOUBLE
# PRECISION), no AUTOINCREMENT/SERIAL (ids are explicit or kept in `counters`).
SCHEMA = [
    """CREATE TABLE IF NOT EXISTS halls (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, secret TEXT NOT NULL,
        enabled BIGINT NOT NULL DEFAULT 1, created_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS hall_cursor (
        hall_id TEXT PRIMARY KEY REFERENCES halls(id), hwm BIGINT NOT NULL,
        last_push_at DOUBLE PRECISION)""",
    """CREATE TABLE IF NOT EXISTS events (
        hall_id TEXT NOT NULL, seq BIGINT NOT NULL, event_id TEXT NOT NULL,
        type TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, business_date TEXT NOT NULL,
        payload TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (hall_id, seq), UNIQUE (hall_id, event_id))""",
    "CREATE INDEX IF NOT EXISTS events_type ON events (hall_id, type)",
    """CREATE TABLE IF NOT EXISTS nonces (
        hall_id TEXT NOT NULL, nonce TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (hall_id, nonce))""",
    """CREATE TABLE IF NOT EXISTS config_versions (
        hall_id TEXT NOT NULL REFERENCES halls(id), version BIGINT NOT NULL,
        toml TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (hall_id, version))""",
    """CREATE TABLE IF NOT EXISTS appointments (
        id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, hall_id TEXT NOT NULL,
        service_id TEXT NOT NULL, date TEXT NOT NULL, slot_start TEXT NOT NULL,
        slot_end TEXT NOT NULL, name_masked TEXT NOT NULL, person_hash TEXT NOT NULL,
        phone_hash TEXT NOT NULL, phone_masked TEXT NOT NULL, status TEXT NOT NULL,
        rev BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS appointments_pull ON appointments (hall_id, date, rev)",
    "CREATE INDEX IF NOT EXISTS appointments_person ON appointments (person_hash)",
    "CREATE INDEX IF NOT EXISTS appointments_phone ON appointments (phone_hash, date)",
    """CREATE TABLE IF NOT EXISTS counters (
        name TEXT PRIMARY KEY, value BIGINT NOT NULL)""",
    # -- the phone-page relay (central/relay.py): public views keyed by SHA-256 of the token
    """CREATE TABLE IF NOT EXISTS relay_views (
        key TEXT PRIMARY KEY, hall_id TEXT NOT NULL REFERENCES halls(id), view TEXT NOT NULL,
        business_date TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS relay_views_hall ON relay_views (hall_id, business_date)",
    """CREATE TABLE IF NOT EXISTS relay_links (
        hall_id TEXT PRIMARY KEY REFERENCES halls(id), last_seen_at DOUBLE PRECISION NOT NULL,
        heartbeat DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS relay_actions (
        id TEXT PRIMARY KEY, hall_id TEXT NOT NULL REFERENCES halls(id), key TEXT NOT NULL,
        kind TEXT NOT NULL, body TEXT NOT NULL, dedupe TEXT NOT NULL UNIQUE,
        created_at DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS relay_actions_hall ON relay_actions (hall_id, created_at)",
]

# -- intake (issue 16): booking API clients, ID hashes for the hall, hotline items -----------
SCHEMA += [
    # Client apps of the booking/hotline API: the key is kept only as its SHA-256.
    """CREATE TABLE IF NOT EXISTS api_clients (
        app_id TEXT PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT NOT NULL,
        scopes TEXT NOT NULL, halls TEXT NOT NULL, rate_per_minute BIGINT NOT NULL,
        enabled BIGINT NOT NULL DEFAULT 1, created_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS api_idempotency (
        app_id TEXT NOT NULL, idem_key TEXT NOT NULL, request_hash TEXT NOT NULL,
        state TEXT NOT NULL, status BIGINT, response TEXT, created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (app_id, idem_key))""",
    # One random salt per hall for the ID-number hash the hall compares at the kiosk.
    """CREATE TABLE IF NOT EXISTS hall_id_salts (
        hall_id TEXT PRIMARY KEY, salt TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS appointment_id_hashes (
        appointment_id TEXT PRIMARY KEY, id_hash TEXT NOT NULL)""",
    # 12345 hotline items about a hall; the hall pulls them by rev and reports outcomes back.
    """CREATE TABLE IF NOT EXISTS hotline_items (
        id TEXT PRIMARY KEY, hall_id TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
        category TEXT NOT NULL, content TEXT NOT NULL, level BIGINT, reason TEXT NOT NULL,
        ticket_number TEXT NOT NULL, ticket_date TEXT NOT NULL, source TEXT NOT NULL,
        status TEXT NOT NULL, hall_case_id TEXT, hall_code TEXT, steps TEXT NOT NULL,
        outcome TEXT, rev BIGINT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS hotline_ref ON hotline_items (hall_id, ref)",
    "CREATE INDEX IF NOT EXISTS hotline_pull ON hotline_items (hall_id, rev)",
]

# -- ops (issue 11): the fleet view's latest health report per hall ------------------------
SCHEMA += [
    # The fleet view: each hall's latest health report (central/fleet.py).
    """CREATE TABLE IF NOT EXISTS hall_reports (
        hall_id TEXT PRIMARY KEY REFERENCES halls(id), report TEXT NOT NULL,
        received_at DOUBLE PRECISION NOT NULL)""",
]


class SeqConflict(Exception):
    """A batch reuses a seq the central already holds with a different event id."""

    def __init__(self, seq: int, hwm: int):
        super().__init__(f"seq {seq} already holds another event (hwm {hwm})")
        self.seq, self.hwm = seq, hwm


class _NoLock:
    """PostgreSQL does its own locking; each thread has its own connection."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class CentralDB:
    """Plain SQL over SQLite or PostgreSQL; `?` placeholders are rewritten for PostgreSQL.

    `url` is `sqlite:///path/to/central.db` (or a bare path) or `postgresql://…` / a
    libpq conninfo string such as `host=/tmp/pg dbname=central user=ow`. SQLite: one
    connection behind a lock (SQLite has one writer anyway). PostgreSQL: one connection per
    thread, so many halls push at once and rows are locked where it matters.
    """

    def __init__(self, url: str):
        self.url = url
        if url.startswith(("postgresql:", "postgres:")) or url.startswith("host="):
            self.dialect = "postgresql"
            self.lock = _NoLock()
            self._local = threading.local()
            self._all: list = []
            self._all_lock = threading.Lock()
        else:
            path = url.removeprefix("sqlite:///").removeprefix("sqlite://")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.dialect = "sqlite"
            self.lock = threading.RLock()
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=10000")
        with self.transaction():
            for ddl in SCHEMA:
                self.execute(ddl)

    @property
    def conn(self):
        if self.dialect == "sqlite":
            return self._conn
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            import psycopg

            conn = psycopg.connect(self.url, autocommit=True)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @property
    def for_update(self) -> str:
        """Row lock suffix: PostgreSQL needs it; SQLite's BEGIN IMMEDIATE already serialises."""
        return " FOR UPDATE" if self.dialect == "postgresql" else ""

    # -- dialect ---------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params=()):
        return self.conn.execute(self._sql(sql), params)

    def executemany(self, sql: str, rows) -> None:
        if self.dialect == "postgresql":
            with self.conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)
        else:
            self.conn.executemany(sql, rows)

    def query(self, sql: str, params=()) -> list[tuple]:
        with self.lock:
            return list(self.execute(sql, params).fetchall())

    def one(self, sql: str, params=()):
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @contextlib.contextmanager
    def transaction(self):
        """One write transaction; rolled back on any exception."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def next_counter(self, name: str) -> int:
        """Increment and return a named counter; call inside a transaction."""
        row = self.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        value = (row[0] if row else 0) + 1
        if row:
            self.execute("UPDATE counters SET value = ? WHERE name = ?", (value, name))
        else:
            self.execute("INSERT INTO counters (name, value) VALUES (?, ?)", (name, value))
        return value

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # -- halls -----------------------------------------------------------------------
    def add_hall(self, hall_id: str, name: str, secret: str) -> None:
        with self.transaction():
            self.execute("INSERT INTO halls (id, name, secret, enabled, created_at) "
                         "VALUES (?, ?, ?, 1, ?)", (hall_id, name, secret, time.time()))
            self.execute("INSERT INTO hall_cursor (hall_id, hwm) VALUES (?, 0)", (hall_id,))

    def hall_secret(self, hall_id: str) -> str | None:
        row = self.one("SELECT secret FROM halls WHERE id = ? AND enabled = 1", (hall_id,))
        return row[0] if row else None

    def halls(self) -> list[dict]:
        rows = self.query("SELECT h.id, h.name, c.hwm, c.last_push_at FROM halls h "
                          "JOIN hall_cursor c ON c.hall_id = h.id ORDER BY h.id")
        return [{"id": r[0], "name": r[1], "hwm": r[2], "last_push_at": r[3]} for r in rows]

    def use_nonce(self, hall_id: str, nonce: str, now: float) -> bool:
        """Record a nonce; False when it was seen before (a replay)."""
        with self.transaction():
            cur = self.execute("INSERT INTO nonces (hall_id, nonce, at) VALUES (?, ?, ?) "
                               "ON CONFLICT DO NOTHING", (hall_id, nonce, now))
            if cur.rowcount == 0:
                return False
            # Nonces older than the signature window can never be replayed (the timestamp
            # check refuses them first), so a small bounded table is enough.
            if int(now) % 16 == 0:
                self.execute("DELETE FROM nonces WHERE at < ?", (now - 900,))
        return True

    # -- events ----------------------------------------------------------------------
    def hwm(self, hall_id: str) -> int:
        row = self.one("SELECT hwm FROM hall_cursor WHERE hall_id = ?", (hall_id,))
        return int(row[0]) if row else 0

    def apply_events(self, hall_id: str, events: list[dict], now: float) -> dict:
        """Store a batch idempotently in one transaction; returns the acknowledgement."""
        with self.transaction():
            row = self.execute("SELECT hwm FROM hall_cursor WHERE hall_id = ?" + self.for_update,
                               (hall_id,)).fetchone()
            hwm = int(row[0])
            old = [e for e in events if int(e["seq"]) <= hwm]
            healed = []
            if old:
                # A resent event must be the same event (id, type, time and day): a different
                # one under a known seq means the hall's database was reset or restored, and
                # skipping it as a "duplicate" would lose data. The payload is not compared:
                # a hall upgraded between a send and its resend may filter it differently.
                stored = {int(r[0]): tuple(r[1:]) for r in self.execute(
                    "SELECT seq, event_id, type, at, business_date FROM events "
                    "WHERE hall_id = ? AND seq BETWEEN ? AND ?",
                    (hall_id, int(old[0]["seq"]), int(old[-1]["seq"]))).fetchall()}
                for e in old:
                    have = stored.get(int(e["seq"]))
                    if have is None:
                        healed.append(e)   # a hole left by an older central: fill it now
                    elif have != (e["id"], e["type"], float(e["at"]), e["business_date"]):
                        raise SeqConflict(int(e["seq"]), hwm)
            fresh = [e for e in events if int(e["seq"]) > hwm]
            new = healed + fresh
            ids = [e["id"] for e in new]
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                taken = self.execute(
                    "SELECT seq FROM events WHERE hall_id = ? AND event_id IN ("
                    + ",".join("?" * len(part)) + ") LIMIT 1", (hall_id, *part)).fetchone()
                if taken is not None:   # an event id already stored under another seq
                    raise SeqConflict(int(taken[0]), hwm)
            if new:
                self.executemany(
                    "INSERT INTO events (hall_id, seq, event_id, type, at, business_date, "
                    "payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(hall_id, int(e["seq"]), e["id"], e["type"], float(e["at"]),
                      e["business_date"], e["payload_json"], now) for e in new])
            if fresh:
                hwm = max(hwm, max(int(e["seq"]) for e in fresh))
            self.execute("UPDATE hall_cursor SET hwm = ?, last_push_at = ? WHERE hall_id = ?",
                         (hwm, now, hall_id))
            for e in new:
                self._project(hall_id, e)
        return {"acked_upto": hwm, "stored": len(new),
                "duplicates": len(events) - len(new)}

    def _project(self, hall_id: str, event: dict) -> None:
        """Appointment status follows what the hall reports (checked in at the kiosk)."""
        if event["type"] in ("hotline.received", "case.advanced"):
            from central.hotline import project  # 12345 items: outcomes from the hall's case events

            project(self, hall_id, event)
        if event["type"] != "ticket.checked_in":
            return
        appointment = (event.get("payload") or {}).get("appointment") or {}
        appointment_id = appointment.get("id")
        if appointment_id:
            rev = self.next_counter("appointment_rev")
            self.execute("UPDATE appointments SET status = 'checked_in', rev = ? "
                         "WHERE id = ? AND hall_id = ?", (rev, appointment_id, hall_id))

    def store_report(self, hall_id: str, report_json: str, now: float) -> None:
        with self.transaction():
            self.execute("INSERT INTO hall_reports (hall_id, report, received_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (hall_id) DO UPDATE SET report = excluded.report, "
                         "received_at = excluded.received_at", (hall_id, report_json, now))

    def hall_reports(self) -> list[dict]:
        return [{"hall_id": r[0], "report": r[1], "received_at": float(r[2])}
                for r in self.query("SELECT hall_id, report, received_at FROM hall_reports")]

    def events_after(self, hall_id: str, after: int, limit: int) -> dict:
        """The hall's own events after `after`, in seq order, as the hall sent them."""
        rows = self.query("SELECT seq, event_id, type, at, business_date, payload FROM events "
                          "WHERE hall_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                          (hall_id, after, limit + 1))
        events = [{"seq": int(r[0]), "id": r[1], "type": r[2], "at": float(r[3]),
                   "business_date": r[4],
                   "payload": json.loads(r[5]) if isinstance(r[5], str) else r[5]}
                  for r in rows[:limit]]
        return {"events": events, "acked_upto": self.hwm(hall_id), "more": len(rows) > limit}

    def event_digest(self, hall_id: str) -> tuple[int, str]:
        """Count and SHA-256 over (seq, id) in seq order: equal digests mean equal sets."""
        import hashlib

        h = hashlib.sha256()
        rows = self.query("SELECT seq, event_id FROM events WHERE hall_id = ? ORDER BY seq",
                          (hall_id,))
        for seq, event_id in rows:
            h.update(f"{seq}:{event_id}\n".encode())
        return len(rows), h.hexdigest()

    # -- configuration ---------------------------------------------------------------
    def push_config(self, hall_id: str, toml_text: str) -> int:
        with self.transaction():
            if not self.execute("SELECT 1 FROM halls WHERE id = ?", (hall_id,)).fetchone():
                raise KeyError(hall_id)
            row = self.execute("SELECT MAX(version) FROM config_versions WHERE hall_id = ?",
                               (hall_id,)).fetchone()
            version = int(row[0] or 0) + 1
            self.execute("INSERT INTO config_versions (hall_id, version, toml, created_at) "
                         "VALUES (?, ?, ?, ?)", (hall_id, version, toml_text, time.time()))
        return version

    def current_config(self, hall_id: str) -> tuple[int, str] | None:
        row = self.one("SELECT version, toml FROM config_versions WHERE hall_id = ? "
                       "ORDER BY version DESC LIMIT 1", (hall_id,))
        return (int(row[0]), row[1]) if row else None
