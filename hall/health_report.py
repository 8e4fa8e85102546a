"""The small health report each sync round sends to the central's fleet view: software
version, each device's state (printer paper …), disk free, last backup, clock sync, the
queue and the upload backlog. Nothing personal: counts, states and device names."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import onewindow


def _table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def build_report(conn: sqlite3.Connection, db_path: str | Path, *, pending_events: int,
                 now: float | None = None) -> dict:
    from hall.timesync import clock_status

    now = now if now is not None else time.time()
    devices = []
    if _table(conn, "devices"):
        reports = {}
        if _table(conn, "device_status"):
            reports = {r[0]: (json.loads(r[1]), r[2]) for r in conn.execute(
                "SELECT device_id, status, reported_at FROM device_status")}
        for dev_id, name, role in conn.execute(
                "SELECT id, name, role FROM devices WHERE revoked_at IS NULL "
                "AND role IN ('kiosk', 'display') ORDER BY name"):
            status, at = reports.get(dev_id, ({}, None))
            devices.append({"name": name, "role": role, **status,
                            "reported_age_s": round(now - at) if at else None})
    usage = shutil.disk_usage(Path(db_path).parent)
    last_backup = None
    if _table(conn, "backups"):
        row = conn.execute("SELECT at, kind, copied_to IS NOT NULL FROM backups "
                           "ORDER BY at DESC LIMIT 1").fetchone()
        if row:
            last_backup = {"at": row[0], "kind": row[1], "copied": bool(row[2])}
    waiting = conn.execute("SELECT COUNT(*) FROM tickets WHERE state = 'waiting'").fetchone()[0] \
        if _table(conn, "tickets") else 0
    clock = clock_status()
    return {
        "version": onewindow.__version__,
        "at": now,
        "devices": devices,
        "disk": {"free_bytes": usage.free, "total_bytes": usage.total},
        "last_backup": last_backup,
        "clock": {"synchronized": clock["synchronized"]},
        "queue": {"waiting": waiting, "pending_events": pending_events},
    }
