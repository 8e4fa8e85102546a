"""The central's fleet view: three halls sync with their health reports; one kiosk is out
of paper, one hall has gone silent. The page (admin only) shows green, amber and red with
the age of each report."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from central.server import CentralServer
from onewindow.client import HallClient
from sync import hallside, signing
from sync.client import CentralClient
from sync.runner import Syncer
from tests.support.hallserver import HallServer

TOKEN = "fleet-admin-token-123"


class CentralClock:
    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def central(tmp_path):
    clock = CentralClock()
    server = CentralServer(f"sqlite:///{tmp_path / 'central.db'}", admin_token=TOKEN,
                           clock=clock).start()
    server.clock = clock
    yield server
    server.stop()


def _hall(tmp_path, central, hall_id: str, name: str, printer: str | None):
    server = HallServer(tmp_path / hall_id).start()
    if printer is not None:
        kiosk = HallClient(server.url, server.device_token("kiosk", f"{hall_id}-kiosk-1"))
        kiosk.report_status({"printer": {"state": printer, "detail": "sensor says " + printer},
                             "scanner": {"state": "ok"}})
        kiosk.close()
    from hall.backup import take_backup
    take_backup(server.store, tmp_path / hall_id / "backups", kind="scheduled")
    secret = signing.new_secret()
    central.db.add_hall(hall_id, name, secret)
    conn = hallside.open_hall_db(server.db_path)
    client = CentralClient(central.url, hall_id, secret, timeout=10)
    return server, Syncer(conn, client), conn, client


def test_fleet_page_green_amber_red_with_report_age(tmp_path, central):
    halls = [_hall(tmp_path, central, "hall-a", "甲区政务服务中心", "ok"),
             _hall(tmp_path, central, "hall-b", "乙区政务服务中心", "out"),
             _hall(tmp_path, central, "hall-c", "丙区政务服务中心", "ok")]
    try:
        for server, syncer, _, _ in halls:
            server.engine.issue_ticket("biz-setup")
            assert syncer.cycle()["report"] is True
        central.clock.offset = 40 * 60          # 40 minutes on: only A and B sync again
        for _, syncer, _, _ in halls[:2]:
            assert syncer.cycle()["report"] is True

        assert httpx.get(central.url + "/fleet", timeout=10).status_code == 401
        data = httpx.get(central.url + "/api/v1/fleet", timeout=10,
                         headers={"Authorization": f"Bearer {TOKEN}"}).json()
        by_id = {h["id"]: h for h in data["halls"]}
        assert by_id["hall-a"]["level"] == "green", by_id["hall-a"]["reasons"]
        assert by_id["hall-b"]["level"] == "amber"
        assert any("out of paper" in r["en"] for r in by_id["hall-b"]["reasons"])
        assert by_id["hall-c"]["level"] == "red" and by_id["hall-c"]["age_s"] >= 40 * 60 - 5
        report = by_id["hall-a"]["report"]
        assert report["version"] and report["queue"]["waiting"] == 1
        assert report["last_backup"]["kind"] == "scheduled" and report["clock"]["synchronized"] is True
        assert report["disk"]["free_bytes"] > 0
        assert [d["printer"]["state"] for d in report["devices"]] == ["ok"]

        page = httpx.get(central.url + "/fleet", timeout=10,
                         headers={"Authorization": f"Bearer {TOKEN}"})
        assert page.status_code == 200
        rows = dict(re.findall(r"data-hall='([^']+)' data-level='(\w+)'", page.text))
        assert rows == {"hall-a": "green", "hall-b": "amber", "hall-c": "red"}
        assert page.text.index("hall-c") < page.text.index("hall-b") < page.text.index("hall-a")
        assert "打印机缺纸" in page.text and "40 分钟前" in page.text
    finally:
        for server, _, conn, client in halls:
            client.close()
            conn.close()
            server.stop()


def test_a_hall_never_heard_from_is_red(tmp_path, central):
    central.db.add_hall("hall-z", "未上线大厅", signing.new_secret())
    data = httpx.get(central.url + "/api/v1/fleet", timeout=10,
                     headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert data["halls"][0]["level"] == "red"
    assert data["halls"][0]["reasons"][0]["en"] == "never reported"


def test_judging_a_report():
    from central.fleet import judge

    now = 1_800_000_000.0
    good = {"at": now, "devices": [{"name": "kiosk-1", "printer": {"state": "ok"},
                                    "reported_age_s": 20}],
            "disk": {"free_bytes": 50 * 1024 ** 3}, "last_backup": {"at": now - 3600},
            "clock": {"synchronized": True}, "queue": {"pending_events": 0}}
    assert judge(good, now, now)["level"] == "green"
    stale_display = {**good, "devices": [{"name": "display-1", "screen": {"state": "ok"},
                                          "reported_age_s": 3600}]}
    verdict = judge(stale_display, now, now)
    assert verdict["level"] == "amber" and "display-1" in verdict["reasons"][0][1]
    assert judge({**good, "disk": {"free_bytes": 100 * 1024 ** 2}}, now, now)["level"] == "red"
    assert judge({**good, "clock": {"synchronized": None}}, now, now)["level"] == "amber"
    assert judge(good, now - 6 * 60, now)["level"] == "amber"
    assert judge(good, now - 31 * 60, now)["level"] == "red"
