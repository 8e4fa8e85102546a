"""SQLite store: durable settings, one writer connection, named forward-only migrations.

The only module that opens the database. Settings (WAL, synchronous=FULL, foreign keys) are
read back after they are set; a database where they did not take is refused, since a
committed ticket must survive a power cut.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

from hall.errors import StoreError

log = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
# Filesystems on which SQLite locking or fsync cannot be trusted (reliability.md §1.3).
_NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p"}


def _fs_type(path: Path) -> str | None:
    try:
        best = ("", None)
        with open("/proc/mounts", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                mount, fstype = parts[1], parts[2]
                if str(path).startswith(mount) and len(mount) > len(best[0]):
                    best = (mount, fstype)
        return best[1]
    except OSError:
        return None


def migration_files() -> list[Path]:
    return sorted(SCHEMA_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


# SQLite's own checkpoint runs inside a commit and makes that commit slow (call-next's p99).
# The hall checkpoints in the gaps between operations instead, on the writer connection
# under its lock; SQLite's automatic checkpoint stays on at a higher mark as a safety net
# for long bursts without a gap.
IDLE_CHECKPOINT_AFTER = 0.05     # seconds without a commit
IDLE_CHECKPOINT_COMMITS = 20     # commits since the last checkpoint before one is worth it
AUTOCHECKPOINT_PAGES = 8000


class _IdleCheckpointer:
    """One thread for all stores opened by Store.open: checkpoint whoever is idle and dirty."""

    def __init__(self) -> None:
        self._stores: weakref.WeakSet[Store] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, store: Store) -> None:
        with self._lock:
            self._stores.add(store)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(IDLE_CHECKPOINT_AFTER)
            with self._lock:
                stores = list(self._stores)
            for store in stores:
                store.checkpoint_if_idle()


_idle_checkpointer = _IdleCheckpointer()


class Store:
    """One writer connection guarded by a lock; `transaction()` is BEGIN IMMEDIATE … COMMIT."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        self.conn = conn
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0
        self._closed = False
        self._commits_since_checkpoint = 0
        self._last_commit = 0.0
        self.generation = 0     # commits through transaction(): the engine's caches watch it

    def checkpoint_if_idle(self) -> bool:
        """Checkpoint the WAL when the hall is between operations; never waits for the lock."""
        if self._closed or self._commits_since_checkpoint < IDLE_CHECKPOINT_COMMITS:
            return False
        if time.monotonic() - self._last_commit < IDLE_CHECKPOINT_AFTER:
            return False
        if not self.lock.acquire(blocking=False):
            return False
        try:
            if self._closed or self._depth:
                return False
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self._commits_since_checkpoint = 0
            return True
        except sqlite3.Error as exc:      # the next gap tries again; nothing is lost
            log.warning("checkpoint of %s failed: %s", self.path, exc)
            return False
        finally:
            self.lock.release()

    @classmethod
    def open(cls, path: str | os.PathLike, *, synchronous: str = "FULL", migrate: bool = True) -> Store:
        """Open (creating if needed) and migrate. `synchronous` exists for the negative control
        of the power-cut test; the hall always runs with FULL."""
        p = Path(path).resolve()
        p.parent.mkdir(parents=True, exist_ok=True)
        fstype = _fs_type(p.parent)
        if fstype in _NETWORK_FS:
            raise StoreError("network_fs", f"数据库不能放在网络文件系统（{fstype}）上：{p.parent}",
                             f"the database must not live on a network filesystem ({fstype}): {p.parent}")
        _private_file(p)
        try:
            conn = sqlite3.connect(str(p), isolation_level=None, check_same_thread=False, timeout=10)
        except sqlite3.Error as exc:
            raise StoreError("open_failed", f"无法打开数据库 {p}：{exc}", f"cannot open database {p}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        # Each PRAGMA on its own: a multi-statement string may stop at the first that returns a row.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        store = cls(conn, str(p))
        _idle_checkpointer.add(store)
        store.verify_settings(expect_synchronous=synchronous)
        if migrate:
            store.migrate()
        return store

    def verify_settings(self, expect_synchronous: str = "FULL") -> None:
        want_sync = {"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}[expect_synchronous.upper()]
        journal = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        sync = self.conn.execute("PRAGMA synchronous").fetchone()[0]
        fk = self.conn.execute("PRAGMA foreign_keys").fetchone()[0]
        if journal.lower() != "wal" or sync != want_sync or fk != 1:
            raise StoreError(
                "settings_not_applied",
                f"数据库安全设置未生效（journal={journal}, synchronous={sync}, foreign_keys={fk}），拒绝运行",
                f"database durability settings did not take (journal={journal}, synchronous={sync}, "
                f"foreign_keys={fk}); refusing to run")

    def close(self) -> None:
        with self.lock:
            self._closed = True
            self.conn.close()

    # -- transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT under the writer lock; nested calls join the outer one."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.conn
            except BaseException:
                self._depth = 0
                self.conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self.conn.execute("COMMIT")
            self.generation += 1
            self._commits_since_checkpoint += 1
            self._last_commit = time.monotonic()

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Reads share the writer connection (and its lock): simple, and fast enough here."""
        with self.lock:
            yield self.conn

    # -- migrations
    def applied_migrations(self) -> list[str]:
        self.conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
        return [r[0] for r in self.conn.execute("SELECT name FROM migrations ORDER BY name")]

    def pending_migrations(self) -> list[Path]:
        with self.lock:
            done = set(self.applied_migrations())
        return [f for f in migration_files() if f.stem not in done]

    def migrate(self, *, backup: bool = True) -> list[str]:
        """Apply each pending schema file in its own transaction, recorded in that transaction.
        A database that has data is backed up first (`backup=False`: it is itself a copy)."""
        applied = []
        with self.lock:
            done = set(self.applied_migrations())
            if backup and done and any(f.stem not in done for f in migration_files()):
                # A database with data is about to change schema: keep a copy first.
                from hall.backup import take_backup
                take_backup(self, Path(self.path).parent / "backups", kind="pre-migrate")
            for f in migration_files():
                if f.stem in done:
                    continue
                sql = f.read_text(encoding="utf-8")
                # A file that rebuilds a table others reference asks for foreign keys off
                # (SQLite cannot switch them inside a transaction): it then runs SQLite's
                # documented procedure, and foreign_key_check must be clean before it commits.
                fk_off = sql.startswith("-- onewindow: foreign_keys=off")
                if fk_off:
                    self.conn.execute("PRAGMA foreign_keys=OFF")
                try:
                    with self.transaction() as c:
                        for statement in _split_sql(sql):
                            c.execute(statement)
                        if fk_off and c.execute("PRAGMA foreign_key_check").fetchone():
                            raise StoreError("migration_fk", f"迁移 {f.stem} 破坏了外键关系",
                                             f"migration {f.stem} leaves broken foreign keys")
                        c.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (f.stem, time.time()))
                finally:
                    if fk_off:
                        self.conn.execute("PRAGMA foreign_keys=ON")
                log.info("applied migration %s", f.stem)
                applied.append(f.stem)
        return applied

    # -- maintenance
    def integrity_problems(self) -> list[str]:
        with self.read() as c:
            rows = [r[0] for r in c.execute("PRAGMA integrity_check")]
            fk = c.execute("PRAGMA foreign_key_check").fetchall()
        problems = [] if rows == ["ok"] else rows
        problems += [f"foreign key: {tuple(r)}" for r in fk]
        return problems

    def backup(self, dest: str | os.PathLike) -> Path:
        """Online backup through SQLite's backup API; safe while the hall runs. The file is
        0600 (it holds phone numbers and PIN hashes) and checked before it gets its name."""
        from hall.backup import copy_database

        d = Path(dest)
        d.parent.mkdir(parents=True, exist_ok=True)
        copy_database(self.conn, d, lock=self.lock)
        return d


def _private_file(path: Path) -> None:
    """Create `path` 0600 (phone numbers and PIN hashes are inside), or take group/world bits
    off an existing one. SQLite gives the -wal and -shm files the database file's mode.

    An existing database is never opened here: closing any descriptor of a file drops every
    POSIX lock this process holds on it, including those of a live SQLite connection (SQLite's
    "how to corrupt" §2.2) — a second Store in the same process then lost committed tickets
    after a kill -9 (tests/hall/test_crash_kill.py). chmod by path takes no descriptor."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        try:   # a new file: nobody can hold a lock on it yet
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError:
            pass  # created meanwhile, or sqlite3.connect reports what is wrong with the path
        return
    except OSError:
        return
    if mode & 0o077:
        try:
            os.chmod(path, 0o600)
        except OSError as exc:  # not our file (e.g. read by root for a report): leave it
            log.debug("cannot make %s private: %s", path, exc)


def _split_sql(sql: str) -> list[str]:
    """Split a schema file into statements (no procedural SQL in our schema files)."""
    statements, buf = [], []
    for line in sql.splitlines():
        stripped = line.strip()
        if stripped.startswith("--") and not buf:
            continue
        buf.append(line)
        if stripped.endswith(";") and sqlite3.complete_statement("\n".join(buf)):
            statements.append("\n".join(buf))
            buf = []
    if "\n".join(buf).strip():
        statements.append("\n".join(buf))
    return statements
