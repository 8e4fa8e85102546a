"""Backups of the hall database: online (SQLite's backup API, safe while the hall serves),
0600, checked, kept `keep_days` days, and copied to a mounted USB disk or NAS when one is set.

Taken by `onewindow db backup --scheduled` (the daily timer), by hand (`db backup`), and by
`Store.migrate` before it changes the schema of a database that already has data.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

NAME = re.compile(r"^(?P<stem>.+)-(?P<ts>\d{8}-\d{6})-(?P<kind>[a-z-]+)\.db$")


@dataclass
class BackupResult:
    path: Path
    bytes: int
    copied_to: Path | None = None
    warnings: list[str] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def copy_database(source: sqlite3.Connection, dest: Path, lock=None) -> int:
    """SQLite online backup of `source` into a new 0600 file `dest`, checked and fsynced."""
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    target = sqlite3.connect(str(partial))
    try:
        if lock is not None:
            with lock:
                source.backup(target)
        else:
            source.backup(target)
        # A single file, no -wal beside it: readable by any sqlite3 and safe to copy.
        target.execute("PRAGMA journal_mode=DELETE")
        check = [r[0] for r in target.execute("PRAGMA quick_check")]
        if check != ["ok"]:
            raise sqlite3.DatabaseError("backup copy failed its check: " + "; ".join(check[:3]))
    finally:
        target.close()
    with open(partial, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, dest)
    _fsync_dir(dest.parent)
    return dest.stat().st_size


def backup_name(db_path: Path, kind: str, now: float | None = None) -> str:
    stamp = dt.datetime.fromtimestamp(now if now is not None else time.time()).strftime("%Y%m%d-%H%M%S")
    return f"{Path(db_path).stem}-{stamp}-{kind}.db"


def take_backup(store, dest_dir: str | os.PathLike, *, kind: str = "manual",
                now: float | None = None) -> BackupResult:
    """An online backup of an open Store into `dest_dir`, recorded in its `backups` table."""
    dest_dir = Path(dest_dir)
    _private_dir(dest_dir)
    dest = dest_dir / backup_name(Path(store.path), kind, now)
    n = 1
    while dest.exists():    # two in the same second (a migration right after a backup)
        dest = dest_dir / backup_name(Path(store.path), f"{kind}-{n}"[:40].replace("--", "-"), now)
        n += 1
    size = copy_database(store.conn, dest, lock=store.lock)
    result = BackupResult(dest, size)
    _record(store, result, kind)
    log.info("backup of %s written to %s (%d bytes)", store.path, dest, size)
    return result


def _record(store, result: BackupResult, kind: str) -> None:
    with store.lock:
        has = store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'backups'").fetchone()
        if not has:
            return      # a database older than migration 1101 (the backup before migrating)
        with store.transaction() as c:
            c.execute("INSERT INTO backups (at, path, bytes, kind, copied_to) VALUES (?, ?, ?, ?, ?)",
                      (time.time(), str(result.path), result.bytes, kind,
                       str(result.copied_to) if result.copied_to else None))


def mount_point(path: Path) -> Path:
    p = Path(os.path.realpath(path))
    while not os.path.ismount(p):
        p = p.parent
    return p


def copy_problem(copy_to: Path) -> str | None:
    """Why `copy_to` cannot take a copy now (not there, not a mounted disk), or None."""
    if not copy_to.exists():
        return f"{copy_to} does not exist (is the USB disk or NAS mounted?)"
    if not copy_to.is_dir():
        return f"{copy_to} is not a directory"
    if mount_point(copy_to) == mount_point(Path("/")):
        return (f"{copy_to} is on the system disk, not a mounted USB disk or NAS; "
                "mount it there (or fix [backup] copy_to)")
    if not os.access(copy_to, os.W_OK):
        return f"{copy_to} is not writable by this user"
    return None


def prune(directory: Path, stem: str, keep_days: int, now: float | None = None) -> list[Path]:
    """Delete this database's backups older than keep_days; the newest one always stays."""
    now = now if now is not None else time.time()
    ours = []
    for f in directory.iterdir() if directory.is_dir() else []:
        m = NAME.match(f.name)
        if m and m.group("stem") == stem and f.is_file():
            ours.append((f.stat().st_mtime, f))
    ours.sort()
    removed = []
    for mtime, f in ours[:-1]:
        if now - mtime > keep_days * 86400:
            f.unlink(missing_ok=True)
            removed.append(f)
    return removed


def scheduled_backup(store, backup_cfg, *, now: float | None = None) -> BackupResult:
    """The timer's job: back up, copy to the mounted disk if any, and apply the retention."""
    directory = Path(backup_cfg.dir)
    result = take_backup(store, directory, kind="scheduled", now=now)
    stem = Path(store.path).stem
    result.removed += prune(directory, stem, backup_cfg.keep_days, now)
    if backup_cfg.copy_to:
        target = Path(backup_cfg.copy_to)
        problem = copy_problem(target)
        if problem:
            result.warnings.append(problem)
        else:
            copy = target / result.path.name
            partial = copy.with_name(copy.name + ".partial")
            try:
                os.close(os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600))
                shutil.copyfile(result.path, partial)
                with open(partial, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(partial, copy)
                result.copied_to = copy
                result.removed += prune(target, stem, backup_cfg.keep_days, now)
                with store.transaction() as c:
                    c.execute("UPDATE backups SET copied_to = ? WHERE path = ?",
                              (str(copy), str(result.path)))
            except OSError as exc:
                partial.unlink(missing_ok=True)
                result.warnings.append(f"copy to {target} failed: {exc}")
    return result


def last_backup(store) -> dict | None:
    """The newest recorded backup: {at, path, bytes, kind, copied_to}, or None."""
    with store.read() as c:
        if not c.execute("SELECT 1 FROM sqlite_master WHERE name = 'backups'").fetchone():
            return None
        row = c.execute("SELECT at, path, bytes, kind, copied_to FROM backups "
                        "ORDER BY at DESC LIMIT 1").fetchone()
    return dict(zip(("at", "path", "bytes", "kind", "copied_to"), tuple(row), strict=True)) if row else None
