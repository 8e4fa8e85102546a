"""No citizen's ticket token in any log line: not from the HTTP client the kiosk uses, not from
the hall's record of an unexpected error on a token's page."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture
def root_log():
    """Everything logged anywhere, at INFO, as `onewindow` sets logging up for every command."""
    from onewindow.cli import setup_logging

    setup_logging("INFO")
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    before = root.level
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(before)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_the_kiosks_http_client_logs_no_ticket_token(hall, kiosk, root_log):
    from onewindow.client import HallClient

    token = kiosk.issue().json()["token"]
    client = HallClient(hall.url, hall.device_token("kiosk", "kiosk-log"))
    assert client.ticket(token)["state"] == "waiting"   # the rating flow's lookup
    assert not [line for line in root_log if token in line]


def test_an_unexpected_error_on_a_token_page_is_logged_without_the_token(hall, kiosk, public, root_log):
    token = kiosk.issue().json()["token"]
    engine = hall.engine
    real = engine.ticket_by_token

    def broken(tok):
        raise RuntimeError("disk on fire")

    engine.ticket_by_token = broken
    try:
        r = public.get(f"/tickets/{token}")
    finally:
        engine.ticket_by_token = real
    assert r.status_code == 500 and "服务器内部错误" in r.json()["error"]["message"]
    logged = [line for line in root_log if "unexpected error" in line]
    assert logged and "/tickets/{token}" in logged[0]   # the route, to find the fault by
    assert not [line for line in root_log if token in line]
