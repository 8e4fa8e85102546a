"""Safe defaults for the central (issue 15, item 5): not open beyond loopback by accident,
tokens only in headers (and never in the access log), mutual TLS with the city's CA."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import trustme

from central.server import CentralServer
from hall.config import parse_config
from sync import signing
from sync.client import CentralClient, SyncError

HALL = "hall-a"
EXAMPLE = Path(__file__).resolve().parents[2] / "assets" / "hall.example.toml"
BODY = json.dumps({"after": 0, "events": [
    {"seq": 1, "id": "e1", "type": "ticket.issued", "at": 1.0, "business_date": "2026-11-28",
     "payload": {}}]}).encode()


def _central(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "central.cli", "--db", str(tmp_path / "c.db"),
                             "--port", "0", "--port-file", str(tmp_path / "port"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_port(tmp_path: Path, proc: subprocess.Popen) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if (tmp_path / "port").exists():
            return int((tmp_path / "port").read_text())
        if proc.poll() is not None:
            pytest.fail(f"central exited: {proc.stderr.read()}")
        time.sleep(0.05)
    pytest.fail("central did not start")


def _stop(proc: subprocess.Popen) -> str:
    """Stop it; returns everything it printed (the access log goes to stdout)."""
    proc.terminate()
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return out + err


def _certs(tmp_path: Path, ca: trustme.CA, name: str, *hosts: str) -> tuple[str, str]:
    cert = ca.issue_cert(*hosts)
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    return str(cert_file), str(key_file)


def test_open_network_without_token_and_tls_is_refused(tmp_path):
    """Before: `--host 0.0.0.0` with no admin token served every hall's figures, no warning."""
    proc = _central(tmp_path, "--host", "0.0.0.0")
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        _stop(proc)
        pytest.fail("the central started listening on 0.0.0.0 without a token or TLS")
    assert proc.returncode == 2
    assert "--admin-token" in err and "--tls-cert" in err and "--trusted-network" in err
    assert "需要" in err
    # With a token alone it is still refused (the token would cross the network in clear).
    proc = _central(tmp_path, "--host", "0.0.0.0", "--admin-token", "t0ken-t0ken")
    assert proc.wait(timeout=20) == 2


def test_open_network_with_token_and_tls_or_trusted_flag_starts(tmp_path):
    ca = trustme.CA()
    cert, key = _certs(tmp_path, ca, "server", "127.0.0.1")
    proc = _central(tmp_path, "--host", "0.0.0.0", "--admin-token", "t0ken-t0ken",
                    "--tls-cert", cert, "--tls-key", key)
    _wait_port(tmp_path, proc)
    _stop(proc)
    (tmp_path / "port").unlink()
    proc = _central(tmp_path, "--host", "0.0.0.0", "--trusted-network")
    _wait_port(tmp_path, proc)
    _stop(proc)


def test_a_token_in_the_url_is_refused_and_never_logged(tmp_path):
    """Before: ?token= was accepted and landed in the access log."""
    proc = _central(tmp_path, "--admin-token", "s3cret-admin-token")
    port = _wait_port(tmp_path, proc)
    base = f"http://127.0.0.1:{port}"
    try:
        resp = httpx.get(base + "/api/v1/summary?token=s3cret-admin-token")
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "token_in_url"
        assert "Authorization" in resp.json()["error"]["message"]
        ok = httpx.get(base + "/api/v1/summary", headers={"Authorization": "Bearer s3cret-admin-token"})
        assert ok.status_code == 200
        # A browser: 401 with a Basic challenge, then the token as the password.
        page = httpx.get(base + "/summary")
        assert page.status_code == 401 and page.headers["www-authenticate"].startswith("Basic")
        basic = base64.b64encode(b"manager:s3cret-admin-token").decode()
        assert httpx.get(base + "/summary", headers={"Authorization": f"Basic {basic}"}).status_code == 200
        wrong = base64.b64encode(b"manager:guess").decode()
        assert httpx.get(base + "/summary", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
        httpx.get(base + "/health?hall_key=abcdef123456")
    finally:
        err = _stop(proc)
    assert "GET /api/v1/summary" in err             # the access log is on...
    assert "s3cret-admin-token" not in err and "abcdef123456" not in err   # ...and redacted


def test_mutual_tls_with_the_citys_ca(tmp_path):
    city = trustme.CA()
    ca_file = tmp_path / "city-ca.pem"
    city.cert_pem.write_to_path(str(ca_file))
    server_cert, server_key = _certs(tmp_path, city, "central", "127.0.0.1")
    hall_cert, hall_key = _certs(tmp_path, city, "hall-a", "hall-a.halls.example")
    stranger_cert, stranger_key = _certs(tmp_path, trustme.CA(), "stranger", "hall-a.halls.example")
    with CentralServer(f"sqlite:///{tmp_path / 'c.db'}", certfile=server_cert, keyfile=server_key,
                       client_ca=str(ca_file)) as server:
        secret = signing.new_secret()
        server.db.add_hall(HALL, "A", secret)
        good = CentralClient(server.url, HALL, secret, ca_file=str(ca_file),
                             client_cert=hall_cert, client_key=hall_key)
        assert good.push_raw(BODY)["acked_upto"] == 1
        good.close()
        for cert, key in ((None, None), (stranger_cert, stranger_key)):
            # Even with the right hall key: no certificate from the city's CA, no connection.
            bad = CentralClient(server.url, HALL, secret, ca_file=str(ca_file),
                                client_cert=cert, client_key=key)
            with pytest.raises(SyncError) as err:
                bad.push_raw(BODY)
            assert err.value.retry and err.value.code in ("tls", "network")
            bad.close()
        assert server.db.event_digest(HALL)[0] == 1
        # Every hall process (sync, relay, restore) builds its client from [sync].
        text = EXAMPLE.read_text(encoding="utf-8").replace('id = "demo-city-hall"', f'id = "{HALL}"', 1)
        text = re.sub(r"(?ms)^\[sync\].*?(?=^\[)", (
            f'[sync]\nenabled = true\ncentral_url = "{server.url}"\nhall_key = "{secret}"\n'
            f'ca_file = "{ca_file}"\nclient_cert = "{hall_cert}"\nclient_key = "{hall_key}"\n\n'),
            text)
        from_config = CentralClient.from_config(parse_config(text, "hall.toml"))
        assert from_config.push_raw(BODY)["duplicates"] == 1
        from_config.close()
