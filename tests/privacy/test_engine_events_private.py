"""Every event the engine emits carries no phone, no hash of one, no ticket token and no
idempotency key in its structured fields, after a whole simulated day (issue 15, item 1).

Text people typed (a complaint, a comment) is stored as typed at the hall and scrubbed at every
exit (test_privacy_property.py); here only the engine's own fields are searched.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from hall.config import load_config, write_example_config
from hall.simday import last_working_day, simulate_day
from hall.store import Store

from .leaks import leaks_in, needles_for, secrets_in, without_typed_text


def test_engine_events_carry_no_personal_data(tmp_path):
    cfg = load_config(write_example_config(tmp_path / "hall.toml"))
    store = Store.open(tmp_path / "hall.db")
    simulate_day(store, cfg, last_working_day(cfg, dt.date(2026, 11, 25)), tickets=120, seed=15)
    store.close()
    secrets = secrets_in(tmp_path / "hall.db")
    assert len(secrets["phone"]) >= 20 and len(secrets["token"]) >= 100 and secrets["key"]
    needles = needles_for(secrets)
    with sqlite3.connect(tmp_path / "hall.db") as db:
        rows = db.execute("SELECT type, payload FROM events ORDER BY seq").fetchall()
    assert len({t for t, _ in rows}) >= 15            # the day exercised most event types
    leaks = []
    for etype, payload in rows:
        leaks += leaks_in(f"engine event {etype}",
                          json.dumps(without_typed_text(json.loads(payload))), needles)
    kinds = sorted({leak.split(":")[0] + ": " + leak.split(":")[1].split()[0] for leak in leaks})
    assert not leaks, "the engine put personal data into events:\n" + "\n".join(kinds)
