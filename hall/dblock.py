"""Who has the hall database open: a lock file beside it, held with flock(2).

Every long-running process that keeps the database open (the hall node, sync, notices)
holds a shared lock on `<db>.lock` for its lifetime; the kernel drops it when the process
dies, however it dies. `onewindow db restore` needs the exclusive lock, so it refuses while
any of them runs and no process can start while a restore replaces the files.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def lock_path(db_path: str | os.PathLike) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + ".lock")


class DatabaseBusy(RuntimeError):
    pass


def _open(db_path) -> int:
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
    except PermissionError:
        # Made by another user (root running `db restore`): flock needs no write access.
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


def hold_shared(db_path) -> int:
    """Hold a shared lock for as long as this process runs; returns the descriptor.

    Raises DatabaseBusy when a restore holds the exclusive lock right now."""
    fd = _open(db_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseBusy(str(lock_path(db_path))) from None
    return fd


def take_exclusive(db_path) -> int:
    """The exclusive lock, without waiting; DatabaseBusy when a hall/sync/notices process runs."""
    fd = _open(db_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseBusy(str(lock_path(db_path))) from None
    return fd


def release(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
