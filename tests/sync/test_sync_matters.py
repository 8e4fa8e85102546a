"""Matters and sync: central sets a matter's state (a provincial system approved it) through the
signed pull, applied once as hall events; what the hall pushes about matters carries neither
the citizen's phone nor the matter page token or pickup code."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hallserver import HallServer  # noqa: E402
from test_sync_e2e import HALL, _hall_config  # noqa: E402

from central.server import CentralServer  # noqa: E402
from sync import hallside, signing  # noqa: E402
from sync.client import CentralClient  # noqa: E402
from sync.runner import Syncer, engine_hooks  # noqa: E402

ADMIN = "admin-" + uuid.uuid4().hex
PHONE = "13712345678"


@pytest.fixture
def setup(tmp_path):
    central = CentralServer(f"sqlite:///{tmp_path / 'central.db'}", admin_token=ADMIN).start()
    key = signing.new_secret()
    central.db.add_hall(HALL, "示范市政务服务中心", key)
    config_path = _hall_config(tmp_path / "hall.toml", central.url, key)
    hall = HallServer(tmp_path, config_path=config_path).start()
    conn = hallside.open_hall_db(hall.db_path)
    client = CentralClient(central.url, HALL, key)
    syncer = Syncer(conn, client, config_path=config_path, clock=hall.clock.now, **engine_hooks(hall.engine))
    yield {"central": central, "hall": hall, "syncer": syncer}
    client.close()
    conn.close()
    hall.stop()
    central.stop()


def _accept(hall) -> dict:
    api = hall.url + "/api/v1"
    kiosk = {"Authorization": "Bearer " + hall.device_token("kiosk")}
    clerk = {"Authorization": "Bearer " + hall.staff_token("c1", window_id="w03")}
    httpx.post(api + "/windows/w03/open", headers=clerk)
    httpx.post(api + "/tickets", json={"service_id": "biz-setup", "phone": PHONE},
               headers={**kiosk, "Idempotency-Key": uuid.uuid4().hex})
    httpx.post(api + "/windows/w03/call-next", headers=clerk)
    r = httpx.post(api + "/windows/w03/finish", json={"outcome": "accepted"}, headers=clerk)
    assert r.status_code == 200, r.text
    return r.json()


def test_central_sets_a_matter_state_once_and_events_are_minimised(setup):
    central, hall, syncer = setup["central"], setup["hall"], setup["syncer"]
    out = _accept(hall)
    mid = out["matters"][0]["id"]
    admin = {"Authorization": f"Bearer {ADMIN}"}
    url = f"{central.url}/api/v1/halls/{HALL}/matter-updates"
    # Writes need the admin token; a bad step is refused with a reason.
    assert httpx.post(url, json={"matter_id": mid, "step": "approve"}).status_code == 401
    assert httpx.post(url, json={"matter_id": mid, "step": "fly"}, headers=admin).json()["error"]["code"] == "bad_update"
    for uid, step in (("prov-1", "approve"), ("prov-2", "ready"), ("prov-1", "approve")):   # prov-1 sent twice
        r = httpx.post(url, json={"id": uid, "matter_id": mid, "step": step, "note": "省政务服务网办结"},
                       headers=admin)
        assert r.status_code == 201, r.text
    result = syncer.cycle()
    assert result["matter_updates"] == 2
    m = hall.engine.get_matter(mid)
    assert m["state"] == "ready" and [s["source"] for s in m["steps"]] == ["hall", "central", "central"]
    assert syncer.cycle()["matter_updates"] == 0                 # cursor moved: nothing again
    # The steps went up as events, with no phone, page token or pickup code in them.
    acc = hall.engine.matter_access(m["code"])
    stored = central.db.query("SELECT type, payload FROM events WHERE hall_id = ?", (HALL,))
    types = [t for t, _ in stored]
    assert types.count("matter.opened") == 1 and types.count("matter.ready") == 1
    raw = json.dumps([p for _, p in stored], ensure_ascii=False)
    assert PHONE not in raw and acc["token"] not in raw and acc["pickup_token"] not in raw
    assert out["slip"]["code"] in raw                            # the human code travels


def test_a_hall_only_sees_its_own_updates(setup):
    central = setup["central"]
    other = signing.new_secret()
    central.db.add_hall("other-hall", "另一个大厅", other)
    from central import matters

    matters.add_update(central.db, "other-hall", "a" * 32, "approve", update_id="x-1")
    assert matters.changes(central.db, HALL, 0)["updates"] == []
    assert [u["id"] for u in matters.changes(central.db, "other-hall", 0)["updates"]] == ["x-1"]
