"""Pulls are all-or-nothing under byte cuts: the old configuration stays until a new one is
whole and valid; appointments arrive exactly as the central has them."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from sync_testkit import FaultProxy

from central.server import CentralServer
from hall.config import load_config, write_example_config
from hall.engine import Engine
from sync import signing
from sync.client import CentralClient, SyncError
from sync.runner import Syncer, engine_hooks

HALL = "demo-city-hall"


@pytest.fixture
def rig(tmp_path, hall):
    store, conn = hall
    config_path = write_example_config(tmp_path / "hall.toml")
    engine = Engine(store, load_config(config_path))
    server = CentralServer(f"sqlite:///{tmp_path / 'central.db'}").start()
    secret = signing.new_secret()
    server.db.add_hall(HALL, "示范", secret)
    proxy = FaultProxy(server.port)
    client = CentralClient(proxy.url, HALL, secret, timeout=5)
    hooks = engine_hooks(engine)
    syncer = Syncer(conn, client, config_path=config_path, **hooks)
    yield {"server": server, "proxy": proxy, "syncer": syncer, "engine": engine,
           "config_path": config_path, "conn": conn}
    client.close()
    proxy.close()
    server.stop()


def _consult_name(path) -> str:
    """The name the hall would start with: hall.toml plus the applied central snapshot."""
    from hall.central_layer import load_effective
    return load_effective(path, path.with_name("hall.db")).service("consult").name_zh


def test_config_pull_cut_anywhere_keeps_old_until_new_is_whole(rig):
    server, proxy, syncer, path = rig["server"], rig["proxy"], rig["syncer"], rig["config_path"]
    base = path.read_text(encoding="utf-8")
    server.db.push_config(HALL, base)
    before = proxy.bytes["s2c"]
    assert syncer.pull_config() == "applied"
    size = proxy.bytes["s2c"] - before
    assert size > 10_000
    for n, k in enumerate(range(0, size, 211)):
        name = f"综合咨询{n}"
        server.db.push_config(HALL, base.replace('name_zh = "综合咨询"', f'name_zh = "{name}"', 1))
        previous = _consult_name(path)
        proxy.arm("cut_response", k)
        with pytest.raises(SyncError):
            syncer.pull_config()
        assert _consult_name(path) == previous            # untouched, still valid
        assert syncer.pull_config() == "applied"
        assert _consult_name(path) == name
        assert rig["engine"].config.service("consult").name_zh == name


def _add_appointment(db, n: int, date: str) -> str:
    code = f"{20000000 + n:08d}"
    with db.transaction():
        rev = db.next_counter("appointment_rev")
        db.execute("INSERT INTO appointments (id, code, hall_id, service_id, date, slot_start, "
                   "slot_end, name_masked, person_hash, phone_hash, phone_masked, status, rev, "
                   "created_at) VALUES (?, ?, ?, 'biz-setup', ?, '10:00', '10:30', '张*', ?, ?, "
                   "'138****0000', 'booked', ?, ?)",
                   (uuid.uuid4().hex, code, HALL, date, uuid.uuid4().hex, uuid.uuid4().hex, rev,
                    time.time()))
    return code


def test_appointment_pull_cut_at_every_byte(rig):
    server, proxy, syncer, conn = rig["server"], rig["proxy"], rig["syncer"], rig["conn"]
    date = "2026-12-01"
    _add_appointment(server.db, 0, date)
    before = proxy.bytes["s2c"]
    assert syncer.pull_appointments([date]) == 1
    size = proxy.bytes["s2c"] - before
    for k in range(size):
        _add_appointment(server.db, k + 1, date)
        proxy.arm("cut_response", k)
        with pytest.raises(SyncError):
            syncer.pull_appointments([date])
        syncer.pull_appointments([date])
    codes = {r[0] for r in conn.execute("SELECT code FROM appointments WHERE date = ?", (date,))}
    central_codes = {r[0] for r in server.db.query("SELECT code FROM appointments WHERE date = ?", (date,))}
    assert codes == central_codes and len(codes) == size + 1
    assert re.fullmatch(r"\d+", conn.execute("SELECT value FROM sync_state WHERE key = ?",
                                             (f"appt_cursor:{date}",)).fetchone()[0])


def test_sync_never_writes_hall_toml_and_a_refused_apply_is_retried(rig):
    """hall.toml is root's read-only file on a box: sync keeps what it applies in the hall
    database. If the engine refuses the new configuration, the snapshot stays unapplied
    and the next round tries again."""
    server, syncer, path = rig["server"], rig["syncer"], rig["config_path"]
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    server.db.push_config(HALL, before.decode().replace('name_zh = "综合咨询"', 'name_zh = "咨询"', 1))
    real_apply = syncer.apply_config

    def broken(cfg):
        raise RuntimeError("engine refused")

    syncer.apply_config = broken
    with pytest.raises(RuntimeError):
        syncer.cycle()
    assert _consult_name(path) == "综合咨询"
    assert rig["engine"].config.service("consult").name_zh == "综合咨询"
    syncer.apply_config = real_apply
    assert syncer.cycle()["config"] == "applied"
    assert rig["engine"].config.service("consult").name_zh == "咨询"
    assert _consult_name(path) == "咨询"
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
