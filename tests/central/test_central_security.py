"""Every refusal the central owes a hall: wrong key, stale time, replay, unknown hall, bad TLS."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import trustme

from central.server import CentralServer
from sync import signing
from sync.client import CentralClient, SyncError

HALL = "hall-a"
BODY = json.dumps({"after": 0, "events": [
    {"seq": 1, "id": "e1", "type": "ticket.issued", "at": 1.0, "business_date": "2026-11-28",
     "payload": {}}]}).encode()


@pytest.fixture
def central(tmp_path):
    with CentralServer(f"sqlite:///{tmp_path / 'central.db'}") as server:
        server.secret = signing.new_secret()
        server.db.add_hall(HALL, "A", server.secret)
        yield server


def _post(central, headers, body=BODY):
    return httpx.post(central.url + "/sync/v1/events", content=body, headers=headers)


def _code(resp) -> str:
    return resp.json()["error"]["code"]


def test_correct_signature_is_accepted(central):
    resp = _post(central, signing.sign_headers(HALL, central.secret, "POST", "/sync/v1/events", BODY))
    assert resp.status_code == 200 and resp.json()["stored"] == 1


def test_wrong_key_is_refused(central):
    resp = _post(central, signing.sign_headers(HALL, signing.new_secret(), "POST",
                                               "/sync/v1/events", BODY))
    assert resp.status_code == 401 and _code(resp) == "unauthenticated"
    assert "密钥" in resp.json()["error"]["message"]
    assert central.db.event_digest(HALL)[0] == 0


def test_tampered_body_is_refused(central):
    headers = signing.sign_headers(HALL, central.secret, "POST", "/sync/v1/events", BODY)
    resp = _post(central, headers, BODY.replace(b'"e1"', b'"e2"'))
    assert resp.status_code == 401 and _code(resp) == "bad_digest"


def test_signature_covers_the_path(central):
    headers = signing.sign_headers(HALL, central.secret, "GET", "/sync/v1/config", b"")
    resp = httpx.get(central.url + "/sync/v1/appointments?date=2026-11-28", headers=headers)
    assert resp.status_code == 401 and _code(resp) == "unauthenticated"


def test_stale_timestamp_is_refused_with_server_time(central):
    headers = signing.sign_headers(HALL, central.secret, "POST", "/sync/v1/events", BODY,
                                   now=time.time() - 301)
    resp = _post(central, headers)
    assert resp.status_code == 401 and _code(resp) == "clock_skew"
    assert abs(resp.json()["server_time"] - time.time()) < 5


def test_skew_within_300_seconds_is_tolerated(central):
    headers = signing.sign_headers(HALL, central.secret, "POST", "/sync/v1/events", BODY,
                                   now=time.time() + 290)
    assert _post(central, headers).status_code == 200


def test_replayed_nonce_is_refused(central):
    headers = signing.sign_headers(HALL, central.secret, "POST", "/sync/v1/events", BODY)
    assert _post(central, headers).status_code == 200
    resp = _post(central, headers)
    assert resp.status_code == 401 and _code(resp) == "replayed"


def test_unknown_hall_is_refused(central):
    resp = _post(central, signing.sign_headers("hall-x", central.secret, "POST",
                                               "/sync/v1/events", BODY))
    assert resp.status_code == 401 and _code(resp) == "unauthenticated"
    resp = httpx.post(central.url + "/sync/v1/events", content=BODY)
    assert resp.status_code == 401


def test_client_corrects_a_large_clock_offset(central):
    # The hall's clock is two hours fast: the first request is refused, the client learns
    # the offset from the central and the retry goes through.
    client = CentralClient(central.url, HALL, central.secret, clock=lambda: time.time() + 7200)
    ack = client.push_raw(BODY)
    assert ack["acked_upto"] == 1
    assert abs(client.clock_offset + 7200) < 5
    client.close()


def test_tls_with_trusted_ca_works_and_untrusted_is_refused(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    other_ca = trustme.CA()
    other_ca_file = tmp_path / "other-ca.pem"
    other_ca.cert_pem.write_to_path(str(other_ca_file))
    with CentralServer(f"sqlite:///{tmp_path / 'c.db'}", certfile=str(cert_file),
                       keyfile=str(key_file)) as server:
        secret = signing.new_secret()
        server.db.add_hall(HALL, "A", secret)
        assert server.url.startswith("https://")
        good = CentralClient(server.url, HALL, secret, ca_file=str(ca_file))
        assert good.push_raw(BODY)["acked_upto"] == 1
        good.close()
        bad = CentralClient(server.url, HALL, secret, ca_file=str(other_ca_file))
        with pytest.raises(SyncError) as err:
            bad.push_raw(BODY)
        assert err.value.code == "tls" and "证书" in err.value.message
        bad.close()
        # Without a CA file the system store is used, which does not know our test CA either.
        system = CentralClient(server.url, HALL, secret)
        with pytest.raises(SyncError) as err:
            system.push_raw(BODY)
        assert err.value.code == "tls"
        system.close()


def test_summaries_need_the_admin_token_when_one_is_set(tmp_path):
    with CentralServer(f"sqlite:///{tmp_path / 'c.db'}", admin_token="s3cret-token") as server:
        resp = httpx.get(server.url + "/api/v1/summary")
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "admin_only"
        assert httpx.get(server.url + "/summary").status_code == 401
        ok = httpx.get(server.url + "/api/v1/summary",
                       headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json()["halls"] == []
        assert httpx.get(server.url + "/book").status_code == 200     # citizens need no token
