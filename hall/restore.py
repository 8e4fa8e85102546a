"""Restoring the hall database from a backup, and taking back from the central what the
hall wrote after that backup (docs/sync-protocol.md §10).

A backup is older than the hall's last state: tickets were issued after it and the central
may already hold their events (seqs N+1 … H). Put back as it is, the hall would hand out
today's numbers again and its next events would reuse seqs N+1 … with new ids (the central
refuses them: 409 seq_conflict). So after the file is in place the hall pulls its own
events after its local maximum seq back from the central and applies them as its own
history: the events table gets them with their seqs and ids, the state tables (tickets,
counters, windows …) are upserted from their rows exactly as replay does, and the sync
cursor moves to what the central acknowledged. Until that has happened the hall refuses to
start (numbers would repeat); `onewindow db recover` retries it, `--skip-central` is the
operator's explicit choice to go on without.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

PENDING_KEY = "restore_recovery"


class RestoreRefused(Exception):
    def __init__(self, message: str, message_en: str):
        super().__init__(message_en)
        self.message, self.message_en = message, message_en


# -- the pending mark ----------------------------------------------------------------------
def recovery_pending(db_path) -> str | None:
    """The note left by `db restore` while the events written after the backup have not been
    taken back from the central; None when there is nothing to recover."""
    p = Path(db_path)
    if not p.exists():
        return None
    conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=10)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_state'").fetchone():
            return None
        row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (PENDING_KEY,)).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def refuse_if_recovery_pending(db_path) -> bool:
    note = recovery_pending(db_path)
    if not note:
        return False
    print("数据库从备份恢复后，尚未从中心取回备份之后的事件；此时开始服务可能重复发放已发过的号码。"
          "请在网络恢复后运行 `onewindow db recover --config hall.toml`，"
          "或确认不需要时运行 `onewindow db recover --skip-central`。\n"
          "The database was restored from a backup and the events written after that backup "
          "have not been taken back from the central yet; serving now could hand out numbers "
          "already given. Run `onewindow db recover --config hall.toml` once the central is "
          "reachable, or `onewindow db recover --skip-central` to go on without them.",
          file=sys.stderr)
    return True


def _set_pending(conn: sqlite3.Connection, note: str | None) -> None:
    conn.execute("BEGIN IMMEDIATE")
    if note is None:
        conn.execute("DELETE FROM sync_state WHERE key = ?", (PENDING_KEY,))
    else:
        conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) "
                     "DO UPDATE SET value = excluded.value", (PENDING_KEY, note))
    conn.execute("COMMIT")


# -- restore -------------------------------------------------------------------------------
def check_backup(backup: Path, work_dir: Path) -> tuple[Path, list[str]]:
    """Copy the backup to a temporary file beside the database, migrate it to this
    software's schema and run `db check` (integrity + queue invariants) on it."""
    from hall.backup import copy_database
    from hall.check import check_invariants
    from hall.store import Store

    if not backup.is_file():
        raise RestoreRefused(f"找不到备份文件 {backup}", f"no backup file at {backup}")
    try:
        src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in src.execute("PRAGMA integrity_check")]
            if rows != ["ok"]:
                raise RestoreRefused(f"备份文件已损坏：{backup}（{rows[0]}）",
                                     f"the backup {backup} is damaged: {'; '.join(rows[:3])}")
            if not src.execute("SELECT 1 FROM sqlite_master WHERE name = 'events'").fetchone():
                raise RestoreRefused(f"{backup} 不是大厅数据库", f"{backup} is not a hall database")
            staged = work_dir / f".restore-{os.getpid()}.db"
            copy_database(src, staged)
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(f"无法读取备份文件 {backup}：{exc}",
                             f"cannot read the backup {backup}: {exc}") from None
    store = Store.open(staged, migrate=False)
    try:
        store.migrate(backup=False)     # an older backup, brought to this software's schema
        problems = check_invariants(store)
    finally:
        store.close()
    return staged, problems


def _move_aside(db: Path, stamp: str) -> Path | None:
    """The replaced database (and its -wal/-shm) keep their bytes under a new name."""
    if not db.exists():
        return None
    kept = db.with_name(f"{db.name}.replaced-{stamp}")
    for suffix in ("-wal", "-shm"):
        side = db.with_name(db.name + suffix)
        if side.exists():
            os.replace(side, kept.with_name(kept.name + suffix))
    os.replace(db, kept)
    return kept


def restore(backup: Path, db: Path) -> dict:
    """Put `backup` in place of `db`. The caller holds the exclusive lock (dblock)."""
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    staged, problems = check_backup(Path(backup), db.parent)
    if problems:
        for f in (staged, staged.with_name(staged.name + "-wal"), staged.with_name(staged.name + "-shm")):
            f.unlink(missing_ok=True)
        raise RestoreRefused("备份未通过检查，未恢复：" + "；".join(problems[:3]),
                             "the backup failed `db check`; nothing restored: "
                             + "; ".join(problems[:3]))
    # The staged copy is a single checked file (journal_mode was left at WAL by Store.open:
    # checkpoint it so the -wal beside it can be dropped).
    conn = sqlite3.connect(str(staged))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for suffix in ("-wal", "-shm"):
        staged.with_name(staged.name + suffix).unlink(missing_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = _move_aside(db, stamp)
    os.chmod(staged, 0o600)
    os.replace(staged, db)
    fd = os.open(db.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    from sync.hallside import open_hall_db

    conn = open_hall_db(db)
    try:
        max_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        _set_pending(conn, json.dumps({"restored_at": time.time(), "backup": str(backup),
                                       "max_seq": max_seq}))
    finally:
        conn.close()
    return {"kept": kept, "max_seq": max_seq}


def owner_of(db: Path) -> tuple[int, int]:
    """Whose the database is (its directory's owner for a new one): a restore run by root
    must leave the files to the service user, or the hall cannot open them."""
    st = (db if db.exists() else db.parent).stat()
    return st.st_uid, st.st_gid


def give_back(db: Path, owner: tuple[int, int]) -> None:
    """The database, its -wal/-shm and lock file back to `owner` (only root can chown)."""
    if os.geteuid() != 0:
        return
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"),
                 db.with_name(db.name + ".lock")):
        if path.exists():
            os.chown(path, *owner)


# -- recovery from the central -----------------------------------------------------------
def apply_own_events(store, events: list[dict]) -> int:
    """Append the hall's own events (same seq and id) and upsert their rows, in one transaction."""
    # Rows are applied exactly as replay applies them (hall/replay.py). Ticket rows carry no
    # page token: tokens are derived from the ticket id with the hall's secret, which the
    # restored database kept, so printed QR codes keep working.
    from hall.replay import RowApplier

    with store.read() as c:
        applier = RowApplier(c)
    n = 0
    with store.transaction() as c:
        c.execute("PRAGMA defer_foreign_keys=ON")
        for e in events:
            if c.execute("SELECT 1 FROM events WHERE seq = ?", (e["seq"],)).fetchone():
                continue
            payload = e.get("payload") or {}
            c.execute("INSERT INTO events (seq, id, type, at, business_date, payload) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      (int(e["seq"]), e["id"], e["type"], float(e["at"]), e["business_date"],
                       json.dumps(payload, ensure_ascii=False, separators=(",", ":"))))
            applier.apply(c, payload)
            n += 1
    return n


def central_client(cfg, hall_key: str | None = None):
    """A client as `onewindow sync` builds it (sync.client.CentralClient.from_config)."""
    from sync.client import CentralClient

    return CentralClient.from_config(cfg, hall_key=hall_key, timeout=15)


def recover_from_central(db: Path, cfg, *, client=None, page: int = 1000) -> dict:
    """Take back this hall's events after its local maximum seq from the central."""
    from hall.store import Store
    from sync import hallside

    own_client = client is None
    if own_client:
        client = central_client(cfg)
    store = Store.open(db)
    conn = hallside.open_hall_db(db)
    try:
        after = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        start = after
        recovered = 0
        acked = after
        while True:
            page_data = client.get_own_events(after, page)
            events = page_data.get("events") or []
            acked = int(page_data.get("acked_upto", acked))
            if events:
                recovered += apply_own_events(store, events)
                after = int(events[-1]["seq"])
            if not page_data.get("more") or not events:
                break
        # Everything the central holds is now here too: upload resumes after it.
        local_max = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        hallside.set_state(conn, cursor=min(acked, local_max))
        _set_pending(conn, None)
        return {"from_seq": start, "recovered": recovered, "acked_upto": acked,
                "last_seq": local_max}
    finally:
        conn.close()
        store.close()
        if own_client:
            client.close()


def skip_recovery(db: Path) -> None:
    from sync.hallside import open_hall_db

    conn = open_hall_db(db)
    try:
        _set_pending(conn, None)
    finally:
        conn.close()
