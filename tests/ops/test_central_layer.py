"""What sync applies is hall state, not a rewrite of hall.toml: a running hall takes in a
central snapshot that the sync process applied, hall.toml stays byte for byte, and a hall
started afterwards starts on the snapshot."""

from __future__ import annotations

import time

import httpx

from central.server import CentralServer
from hall.api.app import ConfigWatcher
from hall.central_layer import load_effective
from hall.config import load_config, write_example_config
from hall.engine import Engine
from hall.store import Store
from sync import hallside, signing
from sync.client import CentralClient
from sync.runner import Syncer, engine_hooks
from tests.support.hallserver import HallServer, running_clock

HALL = "demo-city-hall"


def test_a_snapshot_applied_by_sync_reaches_the_running_hall_and_the_next_start(tmp_path):
    config_path = write_example_config(tmp_path / "hall.toml", always_open=False)
    original = config_path.read_bytes()
    with HallServer(tmp_path, config_path=config_path) as hall, \
            CentralServer(f"sqlite:///{tmp_path / 'central.db'}") as central:
        watcher = ConfigWatcher(hall.app, config_path, interval=0.1)
        watcher.start()
        secret = signing.new_secret()
        central.db.add_hall(HALL, "示范", secret)
        central.db.push_config(HALL, original.decode().replace("daily_cap = 40", "daily_cap = 45", 1))
        # The sync process: its own connection, its own engine, as `onewindow sync` runs.
        store = Store.open(hall.db_path)
        conn = hallside.open_hall_db(hall.db_path)
        client = CentralClient(central.url, HALL, secret, timeout=10)
        try:
            engine = Engine(store, load_effective(config_path, hall.db_path), clock=running_clock())
            syncer = Syncer(conn, client, config_path=config_path, **engine_hooks(engine))
            assert syncer.pull_config() == "applied"
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and \
                    hall.app.state.engine.config.service("tal-highend").daily_cap != 45:
                time.sleep(0.05)
            services = {s["id"]: s for s in httpx.get(hall.url + "/api/v1/services").json()}
            assert services["tal-highend"]["daily_cap"] == 45
        finally:
            watcher.stop()
            client.close()
            conn.close()
            store.close()
    assert config_path.read_bytes() == original                 # /etc stays root's
    assert load_config(config_path).service("tal-highend").daily_cap == 40
    assert load_effective(config_path, tmp_path / "hall.db").service("tal-highend").daily_cap == 45
