"""The running hall node takes in what other processes change: a configuration the sync process
applied, and it reports the sync mark in /api/v1/health."""

import time

import httpx

from hall.config import load_config, write_example_config
from hall.engine import Engine
from hall.store import Store
from tests.support.hallserver import HallServer, running_clock


def test_config_applied_by_another_process_reaches_the_running_hall(tmp_path):
    config_path = write_example_config(tmp_path / "hall.toml", always_open=False)
    with HallServer(tmp_path, config_path=config_path) as hall:
        # The server under test was built without config_path; build the watcher's case directly.
        from hall.api.app import ConfigWatcher
        watcher = ConfigWatcher(hall.app, config_path, interval=0.1)
        watcher.start()
        try:
            before = {s["id"]: s for s in httpx.get(hall.url + "/api/v1/services").json()}
            assert before["tal-highend"]["daily_cap"] == 40
            # The sync process writes the pulled snapshot and applies it with its own engine.
            text = config_path.read_text(encoding="utf-8").replace("daily_cap = 40", "daily_cap = 45")
            config_path.write_text(text, encoding="utf-8")
            other = Engine(Store.open(hall.db_path), load_config(config_path), clock=running_clock())
            other.store.close()
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and hall.app.state.engine.config.service("tal-highend").daily_cap != 45:
                time.sleep(0.05)
            assert hall.app.state.engine.config.service("tal-highend").daily_cap == 45
            after = {s["id"]: s for s in httpx.get(hall.url + "/api/v1/services").json()}
            assert after["tal-highend"]["daily_cap"] == 45
        finally:
            watcher.stop()


def test_health_carries_the_sync_mark(tmp_path):
    with HallServer(tmp_path) as hall:
        body = httpx.get(hall.url + "/api/v1/health").json()
    assert body["sync"] == {"enabled": False, "online": None}


def test_kiosk_config_publishes_the_halls_choices_without_secrets(tmp_path):
    with HallServer(tmp_path) as hall:
        body = httpx.get(hall.url + "/api/v1/kiosk-config").json()
    assert body["hall"]["name_zh"] == "示范市政务服务中心"
    assert {"id": "veteran", "zh": "退役军人", "en": "Veteran"} in body["green_reasons"]
    assert [c["id"] for c in body["complaint_categories"]][:2] == ["attitude", "efficiency"]
    assert "推诿扯皮" in body["rating_reasons"]["1"]
    assert {d["name_zh"] for d in body["domains"]} >= {"企业开办", "户籍办理", "人才服务"}
    assert "hall_key" not in str(body) and "sync" not in body
