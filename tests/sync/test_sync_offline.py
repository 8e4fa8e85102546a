"""A hall offline for a week catches up on reconnect; status in words; phones purged only once
acknowledged; the online mark the kiosk and console show."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sync_testkit import REPO, append_events, free_port, hall_digest, spawn_central

from central.db import CentralDB
from hall.config import load_config, write_example_config
from hall.engine import Engine
from sync import hallside, signing
from sync.client import CentralClient
from sync.runner import Syncer

HALL = "demo-city-hall"


def test_week_offline_200k_events_catch_up(tmp_path, hall):
    store, conn = hall
    db_url = f"sqlite:///{tmp_path / 'central.db'}"
    secret = signing.new_secret()
    CentralDB(db_url).add_hall(HALL, "示范", secret)
    port = free_port()
    days = [f"2026-11-{d:02d}" for d in range(20, 27)]
    for i, day in enumerate(days):                       # 7 days, 200,000 events
        append_events(store, 200_000 // 7 + (1 if i < 200_000 % 7 else 0), day=day)
    assert hall_digest(conn)[0] == 200_000
    client = CentralClient(f"http://127.0.0.1:{port}", HALL, secret, timeout=30)
    syncer = Syncer(conn, client, batch_size=2000)
    stop = threading.Event()
    runner = threading.Thread(target=syncer.run, args=(stop,),
                              kwargs={"interval": 0.2, "base_delay": 0.05, "cap": 0.5})
    runner.start()
    central = None
    try:
        time.sleep(0.5)                                  # the network is down: nothing moves
        st = hallside.status(conn)
        assert not st["online"] and st["pending"] == 200_000
        assert "无法连接中心" in st["last_error"]
        central = spawn_central(db_url, port, tmp_path)  # reconnect
        deadline = time.monotonic() + 90
        while hallside.cursor(conn) < 200_000 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        runner.join(15)
        client.close()
        if central:
            central.send_signal(signal.SIGTERM)
            central.wait(10)
    db = CentralDB(db_url)
    assert db.event_digest(HALL) == hall_digest(conn)
    by_day = dict(db.query("SELECT business_date, COUNT(*) FROM events GROUP BY business_date"))
    assert sorted(by_day) == days and sum(by_day.values()) == 200_000
    db.close()
    st = hallside.status(conn)
    assert st["online"] and st["pending"] == 0


def test_phones_purged_after_retention_only_once_acknowledged(tmp_path, hall):
    store, conn = hall
    cfg = load_config(write_example_config(tmp_path / "hall.toml"))
    engine = Engine(store, cfg)
    ticket, _ = engine.issue_ticket("consult", phone="13812345678")
    # Pretend the retention ran out (the ticket's day plus phone_retention_days is past).
    with store.transaction() as c:
        c.execute("UPDATE ticket_contacts SET purge_after = '2000-01-01'")
    today = "2100-01-01"
    assert hallside.purge_phones(conn, today) == 0        # not yet acknowledged: kept
    assert engine.phone_for(ticket["id"]) == "13812345678"
    last = conn.execute("SELECT MAX(seq) FROM events").fetchone()[0]
    hallside.set_state(conn, cursor=last)
    assert hallside.purge_phones(conn, today) == 1
    assert engine.phone_for(ticket["id"]) is None


def _cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "onewindow.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_sync_status_in_words_and_online_mark(tmp_path, hall):
    store, conn = hall
    config = write_example_config(tmp_path / "hall.toml")
    append_events(store, 12)
    hallside.set_state(conn, cursor=5, last_error="无法连接中心（网络中断？）",
                       last_error_en="cannot reach the central", last_error_at=time.time())
    out = _cli("sync", "--config", str(config), "status")
    assert out.returncode == 0, out.stderr
    assert "离线 offline" in out.stdout and "seq 5" in out.stdout
    assert "待上传 pending: 7" in out.stdout and "无法连接中心" in out.stdout
    mark = hallside.online_mark(Path(tmp_path / "hall.db"))
    assert mark == {"online": False, "pending": 7, "last_success_at": None}
    hallside.set_state(conn, cursor=12, last_success_at=time.time())
    assert hallside.online_mark(tmp_path / "hall.db")["online"] is True
    assert "在线 online" in _cli("sync", "status", "--config", str(config)).stdout


def test_sync_without_credentials_says_what_to_do(tmp_path):
    config = write_example_config(tmp_path / "hall.toml")
    # Switched off in the config: one line and exit code 4, which the unit does not restart.
    out = _cli("sync", "--config", str(config), "--once")
    assert out.returncode == 4 and "disabled" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[sync]\nenabled = false", "[sync]\nenabled = true"),
                      encoding="utf-8")
    out = _cli("sync", "--config", str(config), "--once")
    assert out.returncode == 2 and "hall_key" in out.stderr and "Traceback" not in out.stderr


def test_sync_once_command_against_a_central(tmp_path):
    from central.server import CentralServer

    config = write_example_config(tmp_path / "hall.toml")
    with CentralServer(f"sqlite:///{tmp_path / 'central.db'}") as server:
        key = signing.new_secret()
        server.db.add_hall(HALL, "示范", key)
        text = config.read_text(encoding="utf-8")
        text = text.replace('[sync]\nenabled = false\ncentral_url = ""\nhall_key = ""',
                            f'[sync]\nenabled = true\ncentral_url = "{server.url}"\nhall_key = "{key}"')
        config.write_text(text, encoding="utf-8")
        out = _cli("sync", "--config", str(config), "--once")
        assert out.returncode == 0, out.stderr
        count, _ = server.db.event_digest(HALL)
        assert count >= 2                                  # config.applied, day.opened …
        status = _cli("sync", "status", "--config", str(config))
        assert "在线 online" in status.stdout and "待上传 pending: 0" in status.stdout
