"""sim-month: working days back to back with the back office, owed materials and pickups; the
report shows the one-visit rate and time against the promise, and the events still rebuild
every state table (matters included) exactly."""

from __future__ import annotations

import datetime as dt

from hall.events import read_events
from hall.replay import replay_into, state_digest
from hall.simmonth import format_month, simulate_month
from hall.store import Store


def test_a_simulated_fortnight_of_matters(tmp_path, hall_config):
    # Durability is not what this tests: NORMAL spares the fsync of every commit.
    store = Store.open(tmp_path / "hall.db", synchronous="NORMAL")
    result = simulate_month(store, hall_config, dt.date(2026, 11, 2), working_days=4, tickets=80, seed=3)
    assert result.days[0] == "2026-11-02" and len(result.days) == 4 and result.days[-1] == "2026-11-05"
    total = result.report["total"]
    assert total["matters"] > 10 and total["settled"] > 0
    assert 0 < total["one_visit_rate"] <= 1 and total["one_visit_incl_pickup_rate"] <= total["one_visit_rate"]
    assert total["visits_per_matter"] > 1 and total["time_ratio"] is not None
    with store.read() as c:
        kinds = dict(c.execute("SELECT kind, COUNT(*) FROM matter_visits GROUP BY kind").fetchall())
        handed = c.execute("SELECT COUNT(*) FROM matter_steps WHERE step = 'handover'").fetchone()[0]
        states = dict(c.execute("SELECT state, COUNT(*) FROM matters GROUP BY state").fetchall())
    assert kinds.get("pickup", 0) > 0 and handed > 0 and states.get("collected", 0) > 0
    text = format_month(result)
    assert "一次办好率" in text and "实际/承诺用时" in text
    fresh = Store.open(tmp_path / "replayed.db")
    replay_into(read_events(store, 0, 10**7), fresh)
    assert state_digest(fresh) == state_digest(store)
