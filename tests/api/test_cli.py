"""`onewindow hall`, `device` and `staff` as an operator runs them (real processes)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from hall.api.auth import CACHE_SECONDS
from hall.config import write_example_config

REPO = Path(__file__).resolve().parents[2]


def cli(*args, tmp: Path, stdin: str | None = None):
    cmd = [sys.executable, "-m", "hall.api.cli", *args[:2], "--config", str(tmp / "hall.toml"),
           "--db", str(tmp / "hall.db"), *args[2:]]
    if args[0] == "hall":
        cmd = [sys.executable, "-m", "hall.api.cli", args[0], "--config", str(tmp / "hall.toml"),
               "--db", str(tmp / "hall.db"), *args[1:]]
    return subprocess.run(cmd, capture_output=True, text=True, input=stdin, cwd=REPO, timeout=60)


@pytest.fixture
def tmp(tmp_path):
    write_example_config(tmp_path / "hall.toml")
    return tmp_path


def test_device_add_list_revoke_and_the_running_hall(tmp):
    added = cli("device", "add", "--role", "kiosk", "--name", "kiosk-1", tmp=tmp)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert len(token) >= 40 and "shown once" in added.stderr
    dup = cli("device", "add", "--role", "kiosk", "--name", "kiosk-1", tmp=tmp)
    assert dup.returncode == 1 and "已存在" in dup.stderr and "Traceback" not in dup.stderr
    staff = cli("staff", "add", "--id", "c1", "--name", "张晓燕", "--role", "clerk", tmp=tmp, stdin="135790\n")
    assert staff.returncode == 0, staff.stderr
    listed = cli("device", "list", tmp=tmp).stdout
    assert "kiosk-1" in listed and token not in listed
    assert "c1" in cli("staff", "list", tmp=tmp).stdout

    proc = subprocess.Popen([sys.executable, "-m", "hall.api.cli", "hall", "--config", str(tmp / "hall.toml"),
                             "--db", str(tmp / "hall.db"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ")[1].split()[0]
        h = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
        r = httpx.post(url + "/api/v1/tickets", json={"service_id": "biz-setup"}, headers=h, timeout=10)
        assert r.status_code == 201, r.text
        s = httpx.post(url + "/api/v1/session", json={"staff_id": "c1", "pin": "135790"}, timeout=10)
        assert s.status_code == 201
        # revoking from another process takes effect on the running hall at once
        assert cli("device", "revoke", "kiosk-1", tmp=tmp).returncode == 0
        time.sleep(CACHE_SECONDS + 0.1)
        h["Idempotency-Key"] = uuid.uuid4().hex
        assert httpx.post(url + "/api/v1/tickets", json={"service_id": "biz-setup"}, headers=h).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "active" not in cli("device", "list", tmp=tmp).stdout


def test_bad_inputs_are_messages_not_tracebacks(tmp):
    r = cli("staff", "add", "--id", "c1", "--name", "x", "--role", "clerk", "--pin", "12", tmp=tmp)
    assert r.returncode == 1 and "PIN" in r.stderr and "Traceback" not in r.stderr
    r = cli("device", "revoke", "ghost", tmp=tmp)
    assert r.returncode == 1 and "ghost" in r.stderr and "Traceback" not in r.stderr
    (tmp / "bad.toml").write_text("[hall]\nid = 'x'\nname_zh = 'x'\nbogus = 1\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "hall.api.cli", "hall", "--config", str(tmp / "bad.toml"),
                        "--db", str(tmp / "hall.db"), "--port", "0"], capture_output=True, text=True,
                       cwd=REPO, timeout=60)
    assert r.returncode == 2 and "bad.toml" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "hall.api.cli", "hall", "--config", str(tmp / "none.toml"),
                        "--db", str(tmp / "hall.db")], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_busy_port_is_a_clear_message(tmp):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = cli("hall", "--port", str(port), tmp=tmp)
    assert r.returncode == 2 and str(port) in r.stderr and "Traceback" not in r.stderr
