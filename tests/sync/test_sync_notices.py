"""Phone notices: queued in the engine's transaction, sent once through a real HTTP gateway,
retried with backoff, dropped with a reason when the ticket is over."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hall.config import load_config, write_example_config
from hall.engine import Engine
from hall.store import Store
from sync.hallside import open_hall_db
from sync.notice_sender import NoticeSender


class Gateway:
    """A stand-in SMS gateway on a loopback port: records every webhook, can fail on demand."""

    def __init__(self):
        self.received: list[dict] = []
        self.fail_next = 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if gateway.fail_next:
                    gateway.fail_next -= 1
                    self.send_response(503)
                else:
                    gateway.received.append({**body, "key": self.headers["Idempotency-Key"]})
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()


@pytest.fixture
def hall_engine(tmp_path, gateway):
    path = write_example_config(tmp_path / "hall.toml")
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[notices\]\nenabled = false", "[notices]\nenabled = true", text)
    text = re.sub(r'(?m)^gateway_url = ""', f'gateway_url = "{gateway.url}"', text)
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.notices.enabled and cfg.notices.near_front == 3
    store = Store.open(tmp_path / "hall.db")
    engine = Engine(store, cfg)
    engine.add_staff("s01", "张三", "clerk")
    engine.sign_in("w01", "s01")
    engine.open_window("w01")
    conn = open_hall_db(tmp_path / "hall.db")
    yield engine, conn
    conn.close()
    store.close()


def _notices(conn):
    return conn.execute("SELECT kind, state, text, reason, ticket_id FROM notices ORDER BY created_at, kind").fetchall()


def test_near_and_called_notices_sent_once_with_masked_text(hall_engine, gateway):
    engine, conn = hall_engine
    tickets = [engine.issue_ticket("consult")[0] for _ in range(4)]
    mine, _ = engine.issue_ticket("consult", phone="13812345678")
    assert _notices(conn) == []          # 4 ahead at issue: nothing yet
    engine.call_next("w01")              # now 3 ahead: near the front
    near = _notices(conn)
    assert [(k, s) for k, s, *_ in near] == [("near", "queued")]
    assert mine["number"] in near[0][2] and "3" in near[0][2]
    assert "13812345678" not in near[0][2]
    sender = NoticeSender(conn, gateway.url)
    assert sender.send_due()["sent"] == 1
    assert sender.send_due()["sent"] == 0           # never twice
    assert gateway.received[0]["phone"] == "13812345678"
    for _ in tickets:
        engine.start("w01")
        engine.finish("w01", "completed")
        if _ is not tickets[-1]:
            engine.call_next("w01")
    called = engine.call_next("w01")
    assert called["id"] == mine["id"]
    kinds = [(k, s) for k, s, *_ in _notices(conn)]
    assert kinds == [("near", "sent"), ("called", "queued")]   # still one "near" only
    assert sender.send_due()["sent"] == 1
    texts = [g["text"] for g in gateway.received]
    assert "1 号窗口" in texts[1] and mine["number"] in texts[1]
    assert len({g["key"] for g in gateway.received}) == 2
    sender.close()


def test_gateway_failure_is_retried_with_backoff_then_sent_once(hall_engine, gateway):
    engine, conn = hall_engine
    mine, _ = engine.issue_ticket("consult", phone="13900001111")
    engine.call_next("w01")
    gateway.fail_next = 2
    now = [1000.0]
    sender = NoticeSender(conn, gateway.url, clock=lambda: now[0] + 2e9, rng=lambda: 1.0,
                          base_delay=5)
    assert sender.send_due()["failed"] == 1
    assert sender.send_due() == {"sent": 0, "dropped": 0, "failed": 0}   # not due yet
    now[0] += 5
    assert sender.send_due()["failed"] == 1
    now[0] += 9
    assert sender.send_due()["sent"] == 0                                  # backoff doubled: 10 s
    now[0] += 1
    assert sender.send_due()["sent"] == 1
    assert len(gateway.received) == 1 and mine["number"] in gateway.received[0]["text"]
    sender.close()


def test_notice_dropped_with_reason_when_ticket_is_over(hall_engine, gateway, caplog):
    engine, conn = hall_engine
    mine, _ = engine.issue_ticket("consult", phone="13712345678")
    engine.call_next("w01")
    engine.start("w01")
    engine.finish("w01", "completed")
    sender = NoticeSender(conn, gateway.url)
    with caplog.at_level("INFO"):
        assert sender.send_due()["dropped"] == 1
    assert gateway.received == []
    (kind, state, _text, reason, _tid), = _notices(conn)
    assert (kind, state) == ("called", "dropped") and "done" in reason
    assert "13712345678" not in caplog.text
    sender.close()


def test_no_notices_when_disabled(tmp_path):
    cfg = load_config(write_example_config(tmp_path / "hall.toml"))
    store = Store.open(tmp_path / "hall.db")
    engine = Engine(store, cfg)
    engine.add_staff("s01", "张三", "clerk")
    engine.sign_in("w01", "s01")
    engine.open_window("w01")
    engine.issue_ticket("consult", phone="13812345678")
    engine.call_next("w01")
    assert store.conn.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 0
    store.close()


def test_backoff_doubles_with_full_jitter_and_is_capped():
    from sync.runner import backoff_delay

    assert [backoff_delay(a, base=1, cap=300, rng=lambda: 1.0) for a in range(10)] == \
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert backoff_delay(5, base=1, cap=300, rng=lambda: 0.0) == 0      # full jitter: from 0
    assert backoff_delay(10_000, base=1, cap=300, rng=lambda: 0.5) == 150
