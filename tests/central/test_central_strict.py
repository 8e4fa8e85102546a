"""Sync strictness on a hostile network (issue 15, item 3): gaps refused, duplicates only when
truly the same, authentication and size checked before the body is read, no hall-id oracle."""

from __future__ import annotations

import json
import select
import socket
import time

import httpx
import pytest

from central.app import MAX_BODY
from central.server import CentralServer
from sync import signing
from sync.client import CentralClient, SyncError

HALL = "hall-a"


@pytest.fixture
def central(tmp_path):
    with CentralServer(f"sqlite:///{tmp_path / 'central.db'}") as server:
        server.secret = signing.new_secret()
        server.db.add_hall(HALL, "A", server.secret)
        yield server


def _events(seqs, payload=None) -> list[dict]:
    return [{"seq": s, "id": f"ev{s}", "type": "ticket.issued", "at": 1764290000.0 + s,
             "business_date": "2026-11-28", "payload": payload or {"ticket": {"number": f"A{s:03d}"}}}
            for s in seqs]


def _body(after: int, events: list[dict]) -> bytes:
    return json.dumps({"after": after, "events": events}).encode()


def test_a_gap_is_refused_and_the_lower_events_still_arrive(central):
    """Before: seq 5 after 0 was acknowledged, then 1-3 were 'duplicates' and never stored."""
    client = CentralClient(central.url, HALL, central.secret)
    with pytest.raises(SyncError) as err:
        client.push_raw(_body(0, _events([5])))
    assert err.value.code == "seq_gap" and err.value.acked_upto == 0 and err.value.retry
    assert "不连续" in err.value.message and "resend" in err.value.message_en
    assert central.db.hwm(HALL) == 0
    ack = client.push_raw(_body(0, _events([1, 2, 3])))
    assert ack == {"acked_upto": 3, "stored": 3, "duplicates": 0}
    assert central.db.event_digest(HALL)[0] == 3
    # A gap inside a batch is refused too, and nothing of it is stored.
    with pytest.raises(SyncError) as err:
        client.push_raw(_body(3, _events([4, 6])))
    assert err.value.code == "seq_gap" and err.value.acked_upto == 3
    assert central.db.event_digest(HALL)[0] == 3
    client.close()


def test_the_hall_moves_its_cursor_back_on_a_gap_and_resends(central, hall):
    from sync_testkit import append_events

    from sync import hallside
    from sync.runner import Syncer

    store, conn = hall
    append_events(store, 6)
    hallside.set_state(conn, cursor=3)    # a cursor that skipped events the central never had
    client = CentralClient(central.url, HALL, central.secret)
    syncer = Syncer(conn, client)
    syncer.push_all()        # refused: the cursor goes back to what the central has
    assert hallside.cursor(conn) == 0
    syncer.push_all()        # the next round resends from there
    assert hallside.cursor(conn) == 6
    assert central.db.event_digest(HALL)[0] == 6
    # A hall whose own log has a hole says so instead of sending around it.
    append_events(store, 4)    # seqs 7..10, then 8 goes missing
    with store.transaction() as c:
        c.execute("DELETE FROM events WHERE seq = 8")
    with pytest.raises(SyncError) as err:
        syncer.push_all()
        syncer.push_all()
    assert err.value.code == "hall_gap" and "人工" in err.value.message
    assert hallside.cursor(conn) == 7
    client.close()


def test_a_duplicate_must_really_be_the_same_event(central):
    client = CentralClient(central.url, HALL, central.secret)
    client.push_raw(_body(0, _events([1, 2, 3])))
    # Same seq and id, a different event: not a duplicate, refused and nothing changed.
    changed = _events([2, 3])
    changed[0]["type"] = "ticket.finished"
    with pytest.raises(SyncError) as err:
        client.push_raw(_body(1, changed))
    assert err.value.code == "seq_conflict" and not err.value.retry
    stored = central.db.one("SELECT payload FROM events WHERE seq = 2")[0]
    assert "A002" in stored
    # An event id already stored under another seq is refused too (no silent skip).
    with pytest.raises(SyncError) as err:
        client.push_raw(_body(3, [{**_events([4])[0], "id": "ev1"}]))
    assert err.value.code == "seq_conflict"
    assert central.db.hwm(HALL) == 3
    # The real resend passes as duplicates.
    assert client.push_raw(_body(1, _events([2, 3])))["duplicates"] == 2
    client.close()


def test_unknown_hall_and_bad_signature_get_the_same_answer(central):
    body = _body(0, _events([1]))
    unknown = httpx.post(central.url + "/sync/v1/events", content=body, headers=signing.sign_headers(
        "no-such-hall", central.secret, "POST", "/sync/v1/events", body))
    wrong_key = httpx.post(central.url + "/sync/v1/events", content=body, headers=signing.sign_headers(
        HALL, signing.new_secret(), "POST", "/sync/v1/events", body))
    no_headers = httpx.post(central.url + "/sync/v1/events", content=body)
    junk = httpx.post(central.url + "/sync/v1/events", content=body,
                      headers={signing.H_HALL: HALL, signing.H_SIGNATURE: "é".encode("latin-1") * 64,
                               signing.H_TIMESTAMP: "²".encode(), signing.H_NONCE: "x" * 20,
                               signing.H_DIGEST: "z" * 64})
    answers = {(r.status_code, r.text) for r in (unknown, wrong_key, no_headers, junk)}
    assert len(answers) == 1, answers
    assert unknown.status_code == 401 and HALL not in unknown.text and "no-such-hall" not in unknown.text


def _raw_request(url: str, head: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(head.encode("latin-1"))
    return sock


def _pump_until_answered(sock: socket.socket, chunk: bytes, budget: int) -> tuple[int, bytes]:
    """Send chunked-encoding chunks until the server answers or `budget` bytes went out;
    returns (bytes sent, first bytes of the answer)."""
    sent = 0
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sock.setblocking(False)
    deadline = time.monotonic() + 30
    while sent < budget and time.monotonic() < deadline:
        readable, writable, _ = select.select([sock], [sock], [], 1.0)
        if readable:
            break
        if writable:
            try:
                sent += sock.send(frame)
            except (BlockingIOError, InterruptedError):
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
    sock.setblocking(True)
    sock.settimeout(5)
    try:
        answer = sock.recv(200)
    except (TimeoutError, ConnectionResetError):
        answer = b""
    return sent, answer


def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(central):
    """Before: a 200 MiB unauthenticated chunked POST was read whole (69 -> 459 MB)."""
    sock = _raw_request(central.url, "POST /sync/v1/events HTTP/1.1\r\nHost: c\r\n"
                        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                        f"{signing.H_HALL}: {HALL}\r\n\r\n")
    sent, answer = _pump_until_answered(sock, b"x" * 65536, budget=3 * MAX_BODY)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 401"), answer
    # Answered long before the body could have been read: at most socket buffers' worth.
    assert sent < MAX_BODY // 2, sent


def test_a_declared_oversize_body_is_refused_at_once(central):
    sock = _raw_request(central.url, "POST /sync/v1/events HTTP/1.1\r\nHost: c\r\n"
                        f"Content-Length: {200 * 1024 * 1024}\r\n\r\n")
    sock.settimeout(5)
    answer = sock.recv(200)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer


def test_an_authenticated_chunked_upload_stops_at_the_limit(central):
    headers = signing.sign_headers(HALL, central.secret, "POST", "/sync/v1/events", b"whatever")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock = _raw_request(central.url, "POST /sync/v1/events HTTP/1.1\r\nHost: c\r\n"
                        f"Transfer-Encoding: chunked\r\n{head}\r\n")
    sent, answer = _pump_until_answered(sock, b"x" * 65536, budget=4 * MAX_BODY)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert sent < MAX_BODY + 8 * 1024 * 1024, sent


def test_booking_forms_are_size_limited_too(central):
    resp = httpx.post(central.url + "/book", content=b"name=" + b"x" * (1024 * 1024),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"
