"""The SQLite store: durable settings read back, migrations recorded, online backup, replay."""

import datetime as dt
import sqlite3

import pytest

from hall.check import check_invariants
from hall.engine import Engine, ManualClock
from hall.errors import StoreError
from hall.events import read_events
from hall.replay import replay_into, state_digest
from hall.simday import simulate_day
from hall.store import Store, migration_files


def test_durable_settings_are_on(store):
    c = store.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2      # FULL
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_refuses_to_run_when_settings_did_not_take(store):
    store.conn.execute("PRAGMA synchronous=NORMAL")
    with pytest.raises(StoreError) as info:
        store.verify_settings()
    assert info.value.code == "settings_not_applied"


def test_migrations_are_named_recorded_and_applied_once(tmp_path):
    s = Store.open(tmp_path / "a.db")
    names = [f.stem for f in migration_files()]
    assert s.applied_migrations() == names and names[0] == "0001_core"
    assert s.migrate() == []
    s.close()
    assert Store.open(tmp_path / "a.db").applied_migrations() == names


def test_a_failed_transaction_leaves_nothing(store):
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as c:
            c.execute("INSERT INTO meta (key, value) VALUES ('x', '1')")
            c.execute("INSERT INTO meta (key, value) VALUES ('x', '2')")
    assert store.conn.execute("SELECT COUNT(*) FROM meta WHERE key = 'x'").fetchone()[0] == 0


def test_online_backup_while_the_hall_writes(engine, tmp_path):
    for _ in range(20):
        engine.issue_ticket("consult")
    dest = engine.store.backup(tmp_path / "backup.db")
    copy = Store.open(dest)
    assert copy.conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 20
    assert check_invariants(copy) == []


def test_a_simulated_day_keeps_every_invariant_and_replays_exactly(tmp_path, hall_config):
    store = Store.open(tmp_path / "day.db")
    result = simulate_day(store, hall_config, dt.date(2026, 11, 27), tickets=250, seed=3)
    assert result.summary["tickets_issued"] >= 250
    assert result.summary["refusals"] and result.summary["ratings"]["count"] > 100
    assert check_invariants(store) == []
    fresh = Store.open(tmp_path / "replayed.db")
    replay_into(read_events(store, 0, 10**7), fresh)
    assert state_digest(fresh) == state_digest(store)


def test_a_number_cannot_be_issued_twice_and_check_finds_a_rewound_counter(engine, store):
    engine.issue_ticket("consult")
    t, _ = engine.issue_ticket("consult")
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as c:
            c.execute("UPDATE tickets SET seq_no = 1 WHERE id = ?", (t["id"],))
    with store.transaction() as c:     # e.g. a restore from an old backup
        c.execute("UPDATE counters SET last_number = 1 WHERE service_id = 'consult'")
    assert any("counter at 1" in p for p in check_invariants(store))


def test_engine_restart_continues_the_counter(tmp_path, hall_config):
    clock = ManualClock(dt.datetime(2026, 11, 27, 9, 0, tzinfo=hall_config.tz).timestamp())
    s = Store.open(tmp_path / "r.db")
    Engine(s, hall_config, clock).issue_ticket("consult")
    s.close()
    s = Store.open(tmp_path / "r.db")
    t, _ = Engine(s, hall_config, clock).issue_ticket("consult")
    assert t["number"] == "ZX002"


def test_the_wal_is_checkpointed_in_idle_gaps_not_inside_commits(tmp_path):
    """SQLite's own checkpoint would run inside a commit (a slow call-next now and then); the
    store checkpoints between operations instead, so the WAL restarts short."""
    import sqlite3 as stdlib_sqlite3
    import time

    from hall.store import AUTOCHECKPOINT_PAGES

    s = Store.open(tmp_path / "w.db")
    assert s.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == AUTOCHECKPOINT_PAGES
    for i in range(300):
        with s.transaction() as c:
            c.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{i}", "x" * 3000))
    deadline = time.monotonic() + 5
    while s._commits_since_checkpoint and time.monotonic() < deadline:
        time.sleep(0.05)
    with s.transaction() as c:        # the first commit after a full checkpoint restarts the WAL
        c.execute("INSERT INTO meta (key, value) VALUES ('last', 'x')")
    other = stdlib_sqlite3.connect(tmp_path / "w.db")
    _, frames, _ = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    other.close()
    assert frames < 20, f"the WAL still holds {frames} frames: no checkpoint ran in the idle gap"
    s.close()
