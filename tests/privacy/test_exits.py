"""The exits' rules (hall/exits.py) on a whole simulated day's events: the central's allow-list
drops exactly the personal keys, devices never get a secret, typed numbers are scrubbed."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hall import exits
from hall.config import load_config, write_example_config
from hall.simday import last_working_day, simulate_day
from hall.store import Store


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for v in value:
            yield from _paths(v, prefix)
    else:
        yield prefix


@pytest.fixture(scope="module")
def day_events(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("day")
    cfg = load_config(write_example_config(tmp / "hall.toml"))
    store = Store.open(tmp / "hall.db")
    simulate_day(store, cfg, last_working_day(cfg, dt.date(2026, 11, 25)), tickets=60, seed=3)
    with store.read() as db:
        rows = [(t, json.loads(p)) for t, p in db.execute("SELECT type, payload FROM events")]
    store.close()
    return rows


def test_the_central_allow_list_drops_only_personal_keys(day_events):
    """If this fails after an event gained a field: decide whether the central needs it and
    add it to hall/exits.py CENTRAL_KEYS (or leave it out on purpose)."""
    dropped = set()
    for etype, payload in day_events:
        kept = set(_paths(exits.for_central(payload, event_type=etype)))
        for path in set(_paths(payload)) - kept:
            dropped.add(path[-1])
    # handed_to: the name of whoever collected a matter's documents.
    assert dropped <= {"token", "idempotency_key", "request_hash", "name", "staff_name",
                       "handed_to"}, dropped
    staff = [p for t, p in day_events if t == "staff.changed"]
    assert staff and "name" not in exits.for_central(staff[0])["staff"]
    assert exits.for_central(staff[0], staff_names=True)["staff"]["name"] == staff[0]["staff"]["name"]


def test_a_top_level_token_is_stripped_for_central_and_devices():
    """Before: rating.requested had `token` at the top level; sync stripped it only in `ticket`."""
    payload = {"ticket_id": "t1", "number": "A001", "token": "secret-token-xyz",
               "window_id": "w03", "nested": [{"idempotency_key": "k", "request_hash": "h"}],
               "ticket": [{"id": "t1", "token": "x", "phone": "13812345678"}]}
    for out in (exits.for_central(payload, event_type="rating.requested"), exits.for_devices(payload)):
        text = json.dumps(out)
        for secret in ("secret-token-xyz", '"k"', '"h"', "13812345678", '"x"'):
            assert secret not in text
        assert out["ticket_id"] == "t1" and out["number"] == "A001"


@pytest.mark.parametrize("typed,kinds", [
    ("请回电 138 1234 5678", {"phone"}),
    ("+86-139-1234-5678 或 010-12345678", {"phone"}),
    ("身份证 11010119900307123X", {"id_number"}),
    ("１３８１２３４５６７８", {"phone"}),
    ("票号 A012，2026-11-28 09:30 到 3 号窗口", set()),
])
def test_typed_numbers_are_scrubbed_with_a_note(typed, kinds):
    out = exits.for_central({"complaint": {"text": typed, "code": "TS1"}})
    assert set(out.get("redacted", [])) == kinds
    digits = [c for c in out["complaint"]["text"] if c.isdigit()]
    if kinds:
        assert len(digits) < 7 and "已删除" in out["complaint"]["text"]
    else:
        assert out["complaint"]["text"] == typed
    assert out["complaint"]["code"] == "TS1"
