"""PIN sign-in on a hostile LAN (issue 15, item 4): the device that guesses is locked, not the
clerk's account; made-up and real staff ids get the same answers; a manager unlocks a device.

Each "device" is a different loopback source address (127.0.0.x), so the hall sees them apart.
"""

from __future__ import annotations

import itertools
import time

import httpx
import pytest

from hall.auth import SOURCE_LOCK_AFTER

from .conftest import Client, assert_error


def _from(address: str, base: str) -> httpx.Client:
    return httpx.Client(base_url=base + "/api/v1", timeout=10,
                        transport=httpx.HTTPTransport(local_address=address))


def _try(client: httpx.Client, staff_id: str, pin: str) -> httpx.Response:
    """One attempt; waits out a 429 the way a patient attacker would."""
    for _ in range(50):
        resp = client.post("/session", json={"staff_id": staff_id, "pin": pin})
        if resp.status_code != 429 or resp.json()["error"]["code"] != "too_many_attempts":
            return resp
        time.sleep(0.02)
    pytest.fail("throttled for too long")


@pytest.fixture
def fast_throttle(hall):
    hall.app.state.auth.throttle_seconds = 0.001
    hall.add_staff("c7", "王小明", "clerk", "135790")
    return hall


def test_a_stranger_cannot_lock_a_clerk_out(fast_throttle):
    """Before: five wrong PINs from anywhere locked the clerk's account for 15 minutes."""
    hall = fast_throttle
    stranger = _from("127.0.0.2", hall.url)
    answers = [_try(stranger, "c7", "000000") for _ in range(SOURCE_LOCK_AFTER + 2)]
    assert [r.status_code for r in answers[:SOURCE_LOCK_AFTER - 1]] == [401] * (SOURCE_LOCK_AFTER - 1)
    err = assert_error(answers[-1], 423, "source_locked")
    assert "管理员" in err["message"] and "manager" in err["message_en"]
    # The stranger's device stays locked even with the right PIN...
    assert_error(stranger.post("/session", json={"staff_id": "c7", "pin": "135790"}), 423)
    # ...while the clerk, at their own counter PC, signs in.
    clerk_pc = _from("127.0.0.3", hall.url)
    for _ in range(200):
        resp = clerk_pc.post("/session", json={"staff_id": "c7", "pin": "135790"})
        if resp.status_code != 429:
            break
        time.sleep(0.05)     # the account is spaced out (never locked): seconds at most
    assert resp.status_code == 201, resp.text


def test_real_and_made_up_staff_ids_get_the_same_answers(fast_throttle):
    """Before: 429/423 after a few tries gave real ids away; a made-up id was always 401."""
    hall = fast_throttle
    auth = hall.app.state.auth
    auth.throttle_seconds = 0.1
    sequences = []
    for address, staff_id in (("127.0.0.4", "c7"), ("127.0.0.5", "nobody")):
        ticks = itertools.count()
        start = time.time()
        auth.clock = lambda s=start, t=ticks: s + next(t)   # one second per attempt: deterministic
        client = _from(address, hall.url)
        seq = []
        for _ in range(4 * SOURCE_LOCK_AFTER):
            resp = client.post("/session", json={"staff_id": staff_id, "pin": "000000"})
            seq.append((resp.status_code, resp.json()["error"]["code"]))
        sequences.append(seq)
    assert sequences[0] == sequences[1], sequences
    codes = {code for _, code in sequences[0]}
    assert codes == {"bad_credentials", "too_many_attempts", "source_locked"}, codes


def test_a_manager_sees_and_unlocks_a_locked_device(fast_throttle):
    hall = fast_throttle
    stranger = _from("127.0.0.6", hall.url)
    for _ in range(SOURCE_LOCK_AFTER):
        _try(stranger, "c7", "000000")
    assert_error(stranger.post("/session", json={"staff_id": "c7", "pin": "000000"}), 423)
    manager = Client(hall.url, hall.staff_token("m1", role="manager"))
    locks = manager.get("/admin/pin-locks").json()["sources"]
    assert [(s["source"], s["locked"]) for s in locks] == [("127.0.0.6", True)]
    assert_error(Client(hall.url, hall.staff_token("c9")).get("/admin/pin-locks"), 403)
    assert manager.post("/admin/pin-locks/unlock", json={"source": "127.0.0.6"}).status_code == 200
    assert _try(stranger, "c7", "135790").status_code == 201
    assert manager.get("/admin/pin-locks").json()["sources"] == []


def test_the_operator_unlocks_a_device_from_the_command_line(fast_throttle):
    import subprocess
    import sys

    from hallserver import EXAMPLE_CONFIG

    hall = fast_throttle
    stranger = _from("127.0.0.7", hall.url)
    for _ in range(SOURCE_LOCK_AFTER):
        _try(stranger, "c7", "000000")
    assert_error(stranger.post("/session", json={"staff_id": "c7", "pin": "135790"}), 423)
    out = subprocess.run([sys.executable, "-m", "hall.api.cli", "staff", "unlock", "--config",
                          str(EXAMPLE_CONFIG), "--db", str(hall.db_path), "--source", "127.0.0.7"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "127.0.0.7" in out.stdout and "解锁" in out.stdout, out.stderr
    assert stranger.post("/session", json={"staff_id": "c7", "pin": "135790"}).status_code == 201
