"""Restoring the hall database from a backup (see docs/sync-protocol.md §10)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

PENDING_KEY = "restore_recovery"


def recovery_pending(db_path) -> str | None:
    """The note left by `db restore` when it could not yet take back from the central the
    events written after the backup; None when there is nothing to recover."""
    p = Path(db_path)
    if not p.exists():
        return None
    conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=10)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            return None
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (PENDING_KEY,)).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def refuse_if_recovery_pending(db_path) -> bool:
    note = recovery_pending(db_path)
    if not note:
        return False
    print("数据库从备份恢复后，尚未从中心取回备份之后的事件；此时开始叫号会重复发放已发过的号码。\n"
          "请在网络恢复后运行 `onewindow db recover --config hall.toml`，"
          "或确认不需要时运行 `onewindow db recover --skip-central`。\n"
          "The database was restored from a backup and the events written after that backup "
          "have not been taken back from the central yet; serving now could hand out numbers "
          "already given. Run `onewindow db recover --config hall.toml` once the central is "
          "reachable, or `onewindow db recover --skip-central` to go on without them.",
          file=sys.stderr)
    return True
