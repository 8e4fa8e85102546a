"""The engine keeps the windows' profiles decoded between operations (hall/views.py); what a
kiosk is told about a service must still follow every change, whoever made it."""

import sqlite3

import pytest

from hall.engine import Engine
from hall.errors import DomainError


def _biz(engine) -> dict:
    return next(s for s in engine.services_overview() if s["id"] == "biz-setup")


def test_the_estimate_follows_window_changes_by_this_engine_another_and_a_rollback(
        engine, store, hall_config, clock, open_window, tmp_path):
    assert _biz(engine)["no_window"] is True
    open_window("w03")
    assert _biz(engine)["open_windows"] == 1 and _biz(engine)["no_window"] is False

    # A second engine on the same connection (PRAGMA data_version cannot see it).
    other = Engine(store, hall_config, clock)
    other.pause_window("w03")
    assert _biz(engine)["no_window"] is True
    other.open_window("w03")
    assert _biz(engine)["open_windows"] == 1

    # Another connection (another process, e.g. sync applying a configuration).
    with sqlite3.connect(store.path) as c:
        c.execute("UPDATE windows SET state = 'paused' WHERE id = 'w03'")
    assert _biz(engine)["no_window"] is True
    with sqlite3.connect(store.path) as c:
        c.execute("UPDATE windows SET state = 'open' WHERE id = 'w03'")
    assert _biz(engine)["open_windows"] == 1

    # A window change inside an operation that then fails leaves nothing behind.
    with pytest.raises(DomainError):
        with engine._op() as op:
            w = engine._window(op.c, "w03")
            op.put("window", {**w, "state": "paused"})
            raise DomainError("boom", "测试", "test")
    assert _biz(engine)["open_windows"] == 1 and _biz(engine)["no_window"] is False
    ticket, _ = engine.issue_ticket("biz-setup")
    assert ticket["eta_at_issue"] is not None
