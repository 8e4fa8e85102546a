"""Scheduled backups: 0600, kept N days, copied to a mounted disk (or a clear warning), and a
backup before every migration of a database that has data."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hall.config import write_example_config
from hall.store import Store

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "onewindow.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _config(tmp_path, copy_to: str) -> Path:
    config = write_example_config(tmp_path / "hall.toml")
    text = config.read_text(encoding="utf-8")
    text = text.replace('dir = "/var/lib/onewindow/backups"', f'dir = "{tmp_path / "backups"}"')
    text = text.replace("keep_days = 14", "keep_days = 2").replace('copy_to = ""', f'copy_to = "{copy_to}"')
    config.write_text(text, encoding="utf-8")
    return config


def _init(config: Path) -> Path:
    assert _cli("db", "init", "--config", str(config)).returncode == 0
    return config.with_name("hall.db")


def test_scheduled_backup_private_pruned_and_a_missing_disk_is_a_clear_warning(tmp_path):
    not_mounted = tmp_path / "usb"          # a plain directory on the system disk
    not_mounted.mkdir()
    config = _config(tmp_path, str(not_mounted))
    db = _init(config)
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "hall-20200101-020000-scheduled.db"
    old.write_bytes(b"old")
    os.utime(old, (time.time() - 3 * 86400,) * 2)
    foreign = backups / "notes.txt"
    foreign.write_text("not ours")
    os.utime(foreign, (time.time() - 30 * 86400,) * 2)

    out = _cli("db", "backup", "--scheduled", "--config", str(config))
    assert out.returncode == 0, out.stderr
    made = [p for p in backups.glob("hall-*-scheduled.db") if p != old]
    assert len(made) == 1 and stat.S_IMODE(made[0].stat().st_mode) == 0o600
    assert not old.exists() and foreign.exists()          # only our own old backups go
    assert "Warning" in out.stderr and "not a mounted USB disk or NAS" in out.stderr
    assert list(not_mounted.iterdir()) == []
    conn = sqlite3.connect(made[0])
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM services").fetchone()[0] > 0
    conn.close()
    store = Store.open(db, migrate=False)
    from hall.backup import last_backup
    assert last_backup(store)["path"] == str(made[0])
    store.close()


@pytest.mark.skipif(not os.path.ismount("/dev/shm"), reason="no tmpfs at /dev/shm to stand in for a USB disk")
def test_scheduled_backup_copies_to_a_mounted_disk(tmp_path):
    disk = Path("/dev/shm") / f"ow-usb-{os.getpid()}"
    disk.mkdir()
    try:
        config = _config(tmp_path, str(disk))
        _init(config)
        out = _cli("db", "backup", "--scheduled", "--config", str(config))
        assert out.returncode == 0 and "copied to" in out.stdout, out.stderr
        copies = list(disk.glob("hall-*-scheduled.db"))
        assert len(copies) == 1 and stat.S_IMODE(copies[0].stat().st_mode) == 0o600
    finally:
        for f in disk.iterdir():
            f.unlink()
        disk.rmdir()


def test_a_migration_of_a_database_with_data_is_preceded_by_a_backup(tmp_path):
    db = tmp_path / "hall.db"
    store = Store.open(db)
    store.close()
    assert not (tmp_path / "backups").exists()            # a new database: nothing to keep
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE backups")
    conn.execute("DELETE FROM migrations WHERE name = '1101_backups'")
    conn.commit()
    conn.close()
    store = Store.open(db)                                 # 1101 is pending: back up first
    store.close()
    kept = list((tmp_path / "backups").glob("hall-*-pre-migrate.db"))
    assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    conn = sqlite3.connect(kept[0])
    names = {r[0] for r in conn.execute("SELECT name FROM migrations")}
    conn.close()
    assert "1101_backups" not in names and "0001_core" in names
