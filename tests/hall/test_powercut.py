"""Simulated power cuts: a committed ticket survives with the settings we ship (WAL + FULL).

SQLite's own crash tests (src/test6.c) run the database on a VFS that, at the "crash",
keeps what was synced and a random, reordered part of what was not. We do the same with an
APSW VFS shim (reliability.md §1.2) under the real engine:

- Python's sqlite3 cannot open a VFS registered by APSW: the apsw wheel bundles its own
  SQLite library (checked: `sqlite3.connect("file:x?vfs=NAME", uri=True)` says "no such
  vfs"). So the test hands `hall.store.Store` an APSW connection through a small adapter
  that looks like the sqlite3 connection the store expects. Every statement the engine
  runs — counter row, ticket row, event row in one BEGIN IMMEDIATE transaction — goes
  through the shim unchanged, with the store's own PRAGMAs, read back by its own check.
- At a random I/O operation (a write or a sync, often mid-commit) the power goes: that
  operation and every later one fails. Each file then becomes its image as of its last
  xSync plus a random half of the later writes, applied in random order, some torn.
- "Reboot": the database is opened the normal way (Store.open, stdlib sqlite3). Every
  ticket whose issue call returned must be there with its number, `onewindow db check`'s
  invariants must hold, and new tickets must not reuse a number handed out before the cut.

The negative control runs the same harness with synchronous=NORMAL, where SQLite documents
that recent commits may roll back after a power loss: the harness must catch it, or it
proves nothing.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import apsw
import pytest

from hall.check import check_invariants
from hall.config import load_config, write_example_config
from hall.engine import Engine, ManualClock
from hall.errors import DomainError
from hall.store import Store

FRIDAY_10AM = 1795744800.0   # 2026-11-27 10:00 Asia/Shanghai, a Friday
SERVICES = ["consult", "biz-setup", "tax-invoice", "soc-card", "pickup"]
WINDOWS = [("w01", "c1"), ("w03", "c2"), ("w15", "c3")]


# ---------------------------------------------------------------------- the crash VFS
class _History:
    """What the disk is guaranteed to hold (as of the last sync) and what is still in flight."""

    def __init__(self, durable: bytes | None):
        self.durable = None if durable is None else bytearray(durable)
        self.pending: list[tuple] = []

    def sync(self) -> None:
        self.durable = _apply(self.durable or bytearray(), self.pending)
        self.pending = []


def _apply(image: bytearray, ops) -> bytearray:
    image = bytearray(image)
    for op in ops:
        if op[0] == "w":
            _, offset, data = op
            if len(image) < offset:
                image.extend(bytes(offset - len(image)))
            image[offset:offset + len(data)] = data
        else:
            del image[op[1]:]
    return image


class PowerFailure(apsw.IOError):
    pass


class CrashVFS(apsw.VFS):
    """Passes I/O to the unix VFS, remembers unsynced writes, and can cut the power."""

    def __init__(self, name: str, rng: random.Random):
        self.name = name
        self.rng = rng
        self.files: dict[str, _History] = {}
        self.dead = False
        self.ops = 0
        self.die_at: int | None = None
        super().__init__(name, "unix")

    def xOpen(self, name, flags):
        path = name.filename() if isinstance(name, apsw.URIFilename) else name
        if path and path not in self.files and not path.endswith("-shm"):
            # What is on disk before this simulation started counts as durable.
            self.files[path] = _History(Path(path).read_bytes() if os.path.exists(path) else None)
        return CrashFile(self, name, flags, path)

    def xDelete(self, name, syncdir):
        self._io()
        super().xDelete(name, syncdir)
        if name in self.files:
            self.files[name] = _History(None)

    def _io(self) -> None:
        """Count one I/O operation; fail it, and all after it, once the power is gone."""
        if self.dead:
            raise PowerFailure("power is off")
        self.ops += 1
        if self.die_at is not None and self.ops >= self.die_at:
            self.dead = True
            raise PowerFailure("power cut")

    def cut(self) -> None:
        """Power off now (if not already)."""
        self.dead = True

    def reboot_images(self) -> dict[str, str]:
        """Rewrite each file as the disk could hold it after the cut; report what was kept."""
        kept = {}
        for path, h in self.files.items():
            ops = []
            for op in h.pending:
                if self.rng.random() < 0.5:
                    continue            # never reached the platter
                if op[0] == "w" and len(op[2]) > 512 and self.rng.random() < 0.1:
                    cut = self.rng.randrange(1, len(op[2]) // 512) * 512
                    op = ("w", op[1], op[2][:cut])      # torn write: only some sectors
                ops.append(op)
            self.rng.shuffle(ops)       # the OS and the drive reorder unsynced writes
            kept[path] = f"{len(ops)}/{len(h.pending)} unsynced ops"
            if h.durable is None and not ops:
                if os.path.exists(path):
                    os.remove(path)
                continue
            Path(path).write_bytes(bytes(_apply(h.durable or bytearray(), ops)))
        for path in list(self.files):
            shm = path + "-shm"
            if path.endswith(".db") and os.path.exists(shm):
                os.remove(shm)          # shared memory does not survive a reboot
        return kept


class CrashFile(apsw.VFSFile):
    def __init__(self, vfs: CrashVFS, name, flags, path):
        self.vfs = vfs
        self.history = vfs.files.get(path)
        super().__init__("", name, flags)

    def xWrite(self, data, offset):
        self.vfs._io()
        super().xWrite(data, offset)
        if self.history is not None:
            self.history.pending.append(("w", offset, bytes(data)))

    def xTruncate(self, size):
        self.vfs._io()
        super().xTruncate(size)
        if self.history is not None:
            self.history.pending.append(("t", size))

    def xSync(self, flags):
        self.vfs._io()
        # The simulation decides what is durable, so the real fsync is skipped (speed).
        if self.history is not None:
            self.history.sync()

    def xRead(self, amount, offset):
        if self.vfs.dead:
            raise PowerFailure("power is off")
        return super().xRead(amount, offset)


# ---------------------------------------------------------------------- Store on APSW
class _Row:
    """Enough of sqlite3.Row: by index, by column name, dict(row), tuple(row)."""

    __slots__ = ("_values", "_names")

    def __init__(self, values: tuple, names: dict[str, int]):
        self._values, self._names = values, names

    def __getitem__(self, key):
        return self._values[self._names[key]] if isinstance(key, str) else self._values[key]

    def keys(self):
        return list(self._names)

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)


class _Cursor:
    def __init__(self, rows: list, lastrowid: int):
        self._rows, self._i, self.lastrowid, self.rowcount = rows, 0, lastrowid, len(rows)

    def fetchone(self):
        if self._i >= len(self._rows):
            return None
        self._i += 1
        return self._rows[self._i - 1]

    def fetchall(self):
        rest, self._i = self._rows[self._i:], len(self._rows)
        return rest

    def __iter__(self):
        return iter(self.fetchall())


class ApswConnection:
    """The part of sqlite3.Connection that hall.store, engine, events and check use.
    Rows are read eagerly so no statement stays open across COMMIT."""

    def __init__(self, conn: apsw.Connection):
        self.c = conn

    def execute(self, sql: str, params=()):
        cur = self.c.execute(sql, params)
        try:
            names = {d[0]: i for i, d in enumerate(cur.get_description())}
        except apsw.ExecutionCompleteError:
            return _Cursor([], self.c.last_insert_rowid())
        rows = [_Row(t, names) for t in cur]
        return _Cursor(rows, self.c.last_insert_rowid())

    def close(self):
        self.c.close()


def open_store_on_vfs(path: Path, vfs: CrashVFS, synchronous: str) -> Store:
    """What Store.open does, on an APSW connection through the crash VFS."""
    conn = ApswConnection(apsw.Connection(str(path), vfs=vfs.name))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    store = Store(conn, str(path))
    store.verify_settings(expect_synchronous=synchronous)
    store.migrate()
    return store


# ---------------------------------------------------------------------- the harness
@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A migrated database with three open windows, and its config (caps raised)."""
    d = tmp_path_factory.mktemp("powercut")
    cfg_path = write_example_config(d / "hall.toml")
    cfg_path.write_text(cfg_path.read_text(encoding="utf-8").replace("daily_cap = ", "daily_cap = 9"),
                        encoding="utf-8")
    config = load_config(cfg_path)
    store = Store.open(d / "base.db")
    engine = Engine(store, config, ManualClock(FRIDAY_10AM))
    for window_id, staff_id in WINDOWS:
        engine.add_staff(staff_id, f"测试{staff_id}", "clerk")
        engine.sign_in(window_id, staff_id)
        engine.open_window(window_id)
    store.close()
    assert not Path(str(d / "base.db") + "-wal").exists()
    return d / "base.db", config


def workload(engine: Engine, rng: random.Random, issued: dict, clock: ManualClock, steps: int) -> None:
    """Issue tickets (and now and then call and finish one); record each ticket only
    after its issue call returned, i.e. after COMMIT."""
    for _ in range(steps):
        clock.advance(rng.uniform(0.5, 20))
        r = rng.random()
        if r < 0.75:
            ticket, _ = engine.issue_ticket(rng.choice(SERVICES),
                                            priority_reason="elderly" if rng.random() < 0.1 else None)
            issued[ticket["id"]] = (ticket["service_id"], ticket["seq_no"], ticket["number"])
        else:
            window_id = rng.choice(WINDOWS)[0]
            try:
                if engine.call_next(window_id):
                    engine.finish(window_id, "completed")
            except DomainError:
                pass


def one_cut(base_db: Path, config, work: Path, seed: int, synchronous: str, checkpoint_pages: int) -> list[str]:
    """One life of the database ending in a power cut, then a reboot. Returns problems."""
    rng = random.Random(seed)
    db = work / f"cut{seed}.db"
    shutil.copy(base_db, db)
    vfs = CrashVFS(f"crash{seed}", rng)
    issued: dict[str, tuple] = {}
    clock = ManualClock(FRIDAY_10AM + 60 * (seed % 50))   # always inside the same day
    try:
        store = open_store_on_vfs(db, vfs, synchronous)
        store.conn.execute(f"PRAGMA wal_autocheckpoint={checkpoint_pages}")
        engine = Engine(store, config, clock)
        vfs.die_at = vfs.ops + rng.randint(1, 3000)
        workload(engine, rng, issued, clock, steps=400)
    except apsw.Error:
        pass        # the cut hit mid-operation: that operation never returned
    vfs.cut()
    try:
        store.conn.close()
    except apsw.Error:
        pass
    vfs.reboot_images()
    vfs.unregister()

    problems = []
    store = Store.open(db)
    try:
        with store.read() as c:
            rows = {r["id"]: (r["service_id"], r["seq_no"], r["number"]) for r in c.execute(
                "SELECT id, service_id, seq_no, number FROM tickets")}
        lost = [v[2] for k, v in issued.items() if rows.get(k) != v]
        if lost:
            problems.append(f"seed {seed}: {len(lost)} of {len(issued)} committed tickets lost, e.g. {lost[:3]}")
        problems += [f"seed {seed}: db check: {p}" for p in check_invariants(store)]
        # After the reboot the hall carries on: no number handed out before the cut comes back.
        engine = Engine(store, config, ManualClock(clock.now() + 60))
        for service in SERVICES:
            t, _ = engine.issue_ticket(service)
            before = [v[1] for v in issued.values() if v[0] == service]
            if before and t["seq_no"] <= max(before):
                problems.append(f"seed {seed}: number {t['number']} reused after the cut")
    finally:
        store.close()
    return problems


def run_cuts(base, tmp_path, synchronous: str, cuts: int, first_seed: int) -> tuple[list[str], int]:
    base_db, config = base
    problems, with_loss = [], 0
    for i in range(cuts):
        seed = first_seed + i
        # Half the runs checkpoint often, so cuts also land inside checkpoints.
        p = one_cut(base_db, config, tmp_path, seed, synchronous, 1000 if seed % 2 else 8)
        problems += p
        with_loss += bool(p)
        (tmp_path / f"cut{seed}.db").unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(tmp_path / f"cut{seed}.db") + suffix).unlink(missing_ok=True)
    return problems, with_loss


def test_vfs_shim_sees_the_engine_commit_and_sync(base, tmp_path):
    """Sanity of the harness: the engine's commits really pass through the shim, and with
    FULL every commit ends with a sync of the WAL (nothing pending after a commit)."""
    base_db, config = base
    db = tmp_path / "s.db"
    shutil.copy(base_db, db)
    vfs = CrashVFS("crashsanity", random.Random(1))
    store = open_store_on_vfs(db, vfs, "FULL")
    engine = Engine(store, config, ManualClock(FRIDAY_10AM))
    ops = vfs.ops
    ticket, _ = engine.issue_ticket("consult")
    wal = vfs.files[str(db) + "-wal"]
    assert vfs.ops > ops + 1 and wal.durable and not wal.pending
    assert ticket["seq_no"] == 1
    store.conn.close()
    vfs.unregister()


def test_power_cuts_lose_no_committed_ticket_with_full(base, tmp_path):
    problems, _ = run_cuts(base, tmp_path, "FULL", cuts=200, first_seed=1000)
    assert problems == []


def test_negative_control_normal_loses_committed_tickets(base, tmp_path):
    """The same harness must fail with synchronous=NORMAL, or it proves nothing."""
    problems, with_loss = run_cuts(base, tmp_path, "NORMAL", cuts=40, first_seed=5000)
    assert with_loss >= 10, problems
    assert any("committed tickets lost" in p for p in problems)
