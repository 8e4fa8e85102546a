"""The hall database as the sync process sees it: events to upload, the cursor, sync status."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from hall import exits
from hall.events import last_seq_before
from sync.client import SyncError

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "hall" / "schema" / "0300_sync.sql"


def open_hall_db(path: str | Path) -> sqlite3.Connection:
    """A second connection to the hall's database, for the sync process.

    The hall node owns the schema; sync only adds its own tables (idempotently, so it works
    whether or not the hall has applied migration 0300 yet) and waits politely for the
    hall's writer instead of failing when the database is busy.
    """
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.executescript(SCHEMA_FILE.read_text(encoding="utf-8"))
    return conn


def get_state(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_state(conn: sqlite3.Connection, **values) -> None:
    """Write several state keys in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for key, value in values.items():
            if value is None:
                conn.execute("DELETE FROM sync_state WHERE key = ?", (key,))
            else:
                conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             (key, str(value)))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def cursor(conn: sqlite3.Connection) -> int:
    return int(get_state(conn, "cursor", "0"))


class HallGap(SyncError):
    """The hall's own event log misses seqs: a person must look (a damaged or edited database)."""

    def __init__(self, expected: int, found: int):
        super().__init__("hall_gap",
                         f"本大厅数据库缺少事件 {expected}–{found - 1}，无法按序上传；需要人工处理",
                         f"the hall's database lacks events {expected}-{found - 1}; they cannot "
                         "be uploaded in order and a person must look", retry=False)


def batch_body(conn: sqlite3.Connection, after: int, limit: int, *,
               staff_names: bool = False) -> tuple[bytes, int, int]:
    """The request body for the next batch: (body, number of events, last seq in it).

    Payloads are stored as JSON text by the engine and spliced in as they are: the hall
    never re-encodes them, which keeps a week-long backlog cheap to upload.
    """
    rows = conn.execute("SELECT seq, id, type, at, business_date, payload FROM events "
                        "WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)).fetchall()
    parts = []
    expected = after + 1
    for seq, event_id, etype, at, business_date, payload in rows:
        if seq != expected:
            # The central refuses a gap (it would hide lost events); so do we, with a reason.
            if not parts:
                raise HallGap(expected, seq)
            break   # send what is contiguous; the next batch starts at the gap and says so
        expected += 1
        payload = minimise(payload, etype, staff_names=staff_names)
        head = json.dumps({"seq": seq, "id": event_id, "type": etype, "at": at,
                           "business_date": business_date}, ensure_ascii=False,
                          separators=(",", ":"))
        parts.append(head[:-1] + ',"payload":' + payload + "}")
    body = '{"after":' + str(after) + ',"events":[' + ",".join(parts) + "]}"
    return body.encode("utf-8"), len(parts), expected - 1


def minimise(payload: str | None, event_type: str = "", *, staff_names: bool = False) -> str:
    """The payload as the central gets it (PIPL Art. 6): only the keys on the central's
    allow-list (hall/exits.py), typed text scrubbed of phone and ID numbers, staff as ids.

    Never a phone number, a ticket token, an idempotency key or a request hash, whatever
    the engine put into the event.
    """
    if not payload:
        return "{}"
    data = exits.for_central(json.loads(payload), event_type=event_type, staff_names=staff_names)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def pending(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM events WHERE seq > ?", (cursor(conn),)).fetchone()[0]


def status(conn: sqlite3.Connection, *, interval: float = 10.0, now: float | None = None) -> dict:
    """What `onewindow sync status` shows and what the kiosk's online mark is made of."""
    now = now if now is not None else time.time()
    last_ok = get_state(conn, "last_success_at")
    last_err_at = get_state(conn, "last_error_at")
    last_ok_f = float(last_ok) if last_ok else None
    last_err_f = float(last_err_at) if last_err_at else None
    # Online means: the last exchange succeeded, recently enough that the network is
    # probably still up (three sync intervals, at least a minute).
    online = bool(last_ok_f is not None and (last_err_f is None or last_ok_f >= last_err_f)
                  and now - last_ok_f <= max(60.0, 3 * interval))
    return {
        "online": online,
        "cursor": cursor(conn),
        "pending": pending(conn),
        "last_success_at": last_ok_f,
        "last_error_at": last_err_f,
        "last_error": get_state(conn, "last_error"),
        "last_error_en": get_state(conn, "last_error_en"),
        "clock_offset": float(get_state(conn, "clock_offset", "0")),
        "config_version": int(get_state(conn, "config_version", "0")),
        "config_refused": get_state(conn, "config_refused"),
        "config_ignored": get_state(conn, "config_ignored"),
    }


def online_mark(db_path: str | Path, interval: float = 10.0) -> dict:
    """Small read-only helper for the hall API / kiosk / console: {online, pending, since}."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_state'").fetchone()
        if not has:
            return {"online": False, "pending": None, "last_success_at": None}
        st = status(conn, interval=interval)
        return {"online": st["online"], "pending": st["pending"],
                "last_success_at": st["last_success_at"]}
    finally:
        conn.close()


def purge_phones(conn: sqlite3.Connection, today: str) -> int:
    """Delete phone numbers past their retention date once the central has their day's events.

    `ticket_contacts.purge_after` is set by the engine (the ticket's day plus the configured
    retention); the extra condition here is the acknowledgement: a phone stays while the
    events of its ticket's day are still waiting to be uploaded.
    """
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'ticket_contacts'").fetchone():
        return 0
    newest_day = conn.execute(
        "SELECT MAX(t.business_date) FROM ticket_contacts c JOIN tickets t ON t.id = c.ticket_id "
        "WHERE c.purge_after < ?", (today,)).fetchone()[0]
    if newest_day is None:
        return 0
    last_seq = last_seq_before(conn, newest_day, inclusive=True)   # no date index on events
    if cursor(conn) < last_seq:
        return 0  # not yet acknowledged: keep them until the central has those days
    conn.execute("BEGIN IMMEDIATE")
    try:
        n = conn.execute("DELETE FROM ticket_contacts WHERE purge_after < ?", (today,)).rowcount
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return n
