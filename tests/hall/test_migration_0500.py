"""Migration 0500 on a database from before it: tickets keep their rows, their children keep
their foreign keys, printed links keep working, and the waiting counts start right."""

import datetime as dt

import hall.store as store_module
from hall.engine import Engine, ManualClock
from hall.store import Store, migration_files


def test_an_older_database_migrates_and_its_printed_links_still_work(tmp_path, hall_config, monkeypatch):
    db = tmp_path / "old.db"
    before = [f for f in migration_files() if f.stem < "0500"]
    monkeypatch.setattr(store_module, "migration_files", lambda: before)
    old = Store.open(db)
    day = "2026-11-27"
    with old.transaction() as c:
        c.execute("INSERT INTO services (id, name_zh, name_en, prefix, domain, kind, daily_cap, appointments, "
                  "materials, pinned, position) VALUES ('consult', '咨询', 'Enquiries', 'A', 'x', 'consult', "
                  "999, 0, '[]', 0, 0)")
        for i, (state, checked_in) in enumerate([("waiting", 1), ("waiting", 1), ("waiting", 0), ("done", 1)]):
            c.execute("INSERT INTO tickets (id, business_date, service_id, number, seq_no, priority, rank, "
                      "source, token, state, checked_in, issued_at, sort_at, idempotency_key, request_hash) "
                      "VALUES (?, ?, 'consult', ?, ?, 'normal', 2, 'kiosk', ?, ?, ?, ?, ?, ?, ?)",
                      (f"{i:032x}", day, f"A00{i + 1}", i + 1, f"printed-token-{i:04d}", state, checked_in,
                       1e9 + i, 1e9 + i, f"key-{i:04d}", "plain-sha-of-a-phone"))
        c.execute("INSERT INTO counters VALUES (?, 'consult', 4)", (day,))
        c.execute("INSERT INTO ratings (id, ticket_id, service_id, business_date, level, reasons, channel, at) "
                  "VALUES ('r1', ?, 'consult', ?, 5, '[]', 'qr', 1e9)", (f"{3:032x}", day))
    old.close()
    monkeypatch.undo()

    store = Store.open(db)
    assert store.integrity_problems() == []
    with store.read() as c:
        cols = [r[1] for r in c.execute("PRAGMA table_info(tickets)")]
        assert not {"token", "idempotency_key", "request_hash"} & set(cols)
        # the waiting counts (kept in the day's counters row since migration 1200)
        assert c.execute("SELECT last_number, waiting_r2, waiting_away FROM counters WHERE service_id = 'consult' "
                         "AND business_date = ?", (day,)).fetchone()[:] == (4, 2, 1)
        assert c.execute("SELECT COUNT(*) FROM issue_requests").fetchone()[0] == 0   # no plain hashes kept
    clock = ManualClock(dt.datetime(2026, 11, 27, 9, 0, tzinfo=hall_config.tz).timestamp())
    engine = Engine(store, hall_config, clock)
    assert engine.ticket_by_token("printed-token-0001")["number"] == "A002"
    assert engine.public_ticket(engine.ticket_by_token("printed-token-0001"))["ahead"] == 1
    new, _ = engine.issue_ticket("consult")
    assert new["number"].endswith("005") and new["ahead_at_issue"] == 2
    assert engine.ticket_by_token(new["token"])["id"] == new["id"]
