"""A configuration from the central cannot redirect personal data or strand waiting citizens
(issue 15, item 2). Before: a pushed [notices] gateway_url was applied and `onewindow notices`
posted full phone numbers to it."""

from __future__ import annotations

import re

import pytest
from test_sync_notices import Gateway

from central.server import CentralServer
from hall.central_layer import load_effective
from hall.config import load_config, write_example_config
from hall.engine import Engine
from sync import hallside, signing
from sync.client import CentralClient
from sync.notice_sender import NoticeSender
from sync.runner import Syncer, engine_hooks

HALL = "demo-city-hall"


@pytest.fixture
def gateways():
    ours, theirs = Gateway(), Gateway()
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.fixture
def rig(tmp_path, hall, gateways):
    store, conn = hall
    path = write_example_config(tmp_path / "hall.toml")
    example = path.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[notices\]\nenabled = false", "[notices]\nenabled = true", example)
    text = re.sub(r'(?m)^gateway_url = ""', f'gateway_url = "{gateways[0].url}"', text)
    path.write_text(text, encoding="utf-8")
    engine = Engine(store, load_config(path))
    engine.add_staff("s01", "张三", "clerk")
    engine.sign_in("w01", "s01")
    engine.open_window("w01")
    server = CentralServer(f"sqlite:///{tmp_path / 'central.db'}").start()
    secret = signing.new_secret()
    server.db.add_hall(HALL, "示范", secret)
    client = CentralClient(server.url, HALL, secret, timeout=5)
    syncer = Syncer(conn, client, config_path=path, **engine_hooks(engine))
    # What every hall process reads: hall.toml with the applied central snapshot over it
    # (sync keeps the snapshot in the database, hall/central_layer.py).
    effective = lambda: load_effective(path, store.path)  # noqa: E731
    yield {"server": server, "syncer": syncer, "engine": engine, "path": path, "conn": conn,
           "example": example, "effective": effective}
    client.close()
    server.stop()


def test_a_pushed_gateway_and_base_url_are_ignored_and_phones_go_only_to_the_hall_gateway(
        rig, gateways):
    ours, theirs = gateways
    hostile = rig["example"]
    hostile = hostile.replace('name_zh = "示范市政务服务中心"', 'name_zh = "示范市政务服务中心（新）"')
    hostile = re.sub(r"(?ms)^\[notices\]\nenabled = false", "[notices]\nenabled = true", hostile)
    hostile = re.sub(r'(?m)^gateway_url = ""', f'gateway_url = "{theirs.url}"', hostile)
    hostile = hostile.replace('base_url = "http://127.0.0.1:8470"', 'base_url = "http://evil.example"')
    hostile = hostile.replace("phone_retention_days = 7", "phone_retention_days = 365")
    hostile = hostile.replace('host = "127.0.0.1"', 'host = "0.0.0.0"')
    rig["server"].db.push_config(HALL, hostile)
    assert rig["syncer"].pull_config() == "applied"
    cfg = rig["effective"]()
    assert cfg.hall.name_zh == "示范市政务服务中心（新）"          # the central's part is applied
    assert cfg.notices.gateway_url == ours.url                      # the hall's own are kept
    assert cfg.hall.base_url == "http://127.0.0.1:8470"
    assert cfg.privacy.phone_retention_days == 7 and cfg.server.host == "127.0.0.1"
    note = hallside.status(rig["conn"])["config_ignored"]
    assert "notices" in note and "hall.base_url" in note and "privacy" in note and "已忽略" in note
    assert theirs.url not in note       # names of settings only
    # What `onewindow notices` does with the applied file: phones go to the hall's gateway only.
    engine = rig["engine"]
    for _ in range(3):
        engine.issue_ticket("consult")
    engine.issue_ticket("consult", phone="13812345678")
    engine.call_next("w01")
    sender = NoticeSender(rig["conn"], rig["effective"]().notices.gateway_url)
    assert sender.send_due()["sent"] == 1
    sender.close()
    assert [g["phone"] for g in ours.received] == ["13812345678"] and theirs.received == []


def test_removing_a_service_with_people_waiting_waits_until_they_are_served(rig):
    """Before: the service vanished and its waiting citizens were stranded with no message."""
    engine, syncer = rig["engine"], rig["syncer"]
    ticket, _ = engine.issue_ticket("biz-seal")
    without = re.sub(r'(?ms)^\[\[services\]\]\nid = "biz-seal".*?(?=^\[\[)', "", rig["example"])
    without = re.sub(r'"biz-seal",\s*|,\s*"biz-seal"', "", without)
    assert '"biz-seal"' not in without
    rig["server"].db.push_config(HALL, without)
    assert syncer.pull_config() == "refused"
    status = hallside.status(rig["conn"])
    assert "biz-seal" in status["config_refused"] and "1 人" in status["config_refused"]
    assert "1 people" in status["config_refused"]
    assert rig["effective"]().service("biz-seal") is not None    # the old one keeps working
    # Once the citizen is served, the next round applies it.
    engine.add_staff("s03", "李四", "clerk")
    engine.sign_in("w03", "s03")
    engine.open_window("w03")
    assert engine.call_next("w03")["id"] == ticket["id"]
    engine.start("w03")
    engine.finish("w03", "completed")
    assert syncer.pull_config() == "applied"
    assert rig["effective"]().service("biz-seal") is None
