"""onewindow.client.HallClient against a real hall node: answers, refusals, a dead hall."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hallserver import HallServer  # noqa: E402

from onewindow.client import HallClient, HallError, HallUnreachable, mask_phone  # noqa: E402


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    with HallServer(tmp_path_factory.mktemp("hall")) as server:
        yield server


@pytest.fixture
def client(hall):
    c = HallClient(hall.url, hall.device_token("kiosk"), timeout=3)
    yield c
    c.close()


def test_services_and_health(client):
    services = client.services()
    assert {"id", "name_zh", "waiting", "eta_minutes", "open_now", "full", "materials"} \
        <= set(services[0])
    assert client.health()["hall"]["name_zh"]


def test_same_idempotency_key_gives_the_same_ticket(client, hall):
    first = client.issue_ticket("biz-change", idempotency_key="kiosk-test-key-0001")
    again = client.issue_ticket("biz-change", idempotency_key="kiosk-test-key-0001")
    assert again["id"] == first["id"] and again["number"] == first["number"]
    with pytest.raises(HallError) as refused:       # same key, other body
        client.issue_ticket("biz-seal", idempotency_key="kiosk-test-key-0001")
    assert refused.value.status == 422 and refused.value.message and refused.value.message_en


def test_revoked_kiosk_gets_a_staff_banner(hall, qtbot):
    from kiosk.devices import PrinterPort
    from kiosk.settings import KioskSettings
    from kiosk.viewmodel import KioskViewModel

    client = HallClient(hall.url, "revoked-or-mistyped-token", timeout=3)
    vm = KioskViewModel(client, PrinterPort(None), KioskSettings(hall_url=hall.url))
    try:
        qtbot.waitUntil(lambda: len(vm.services) > 0, timeout=3000)
        vm.chooseService("biz-change")
        vm.issue()
        qtbot.waitUntil(lambda: vm.screen == "message", timeout=3000)
        assert "令牌" in vm.banner["zh"]
    finally:
        vm.shutdown()
        client.close()


def test_refusals_carry_chinese_and_english(client):
    with pytest.raises(HallError) as unknown:
        client.check_in("00000000")
    assert unknown.value.status == 404 and unknown.value.code == "unknown_appointment"
    assert "预约" in unknown.value.message and unknown.value.message_en


def test_bad_token_is_a_hall_error_not_a_crash(hall):
    c = HallClient(hall.url, "not-a-token", timeout=3)
    with pytest.raises(HallError) as refused:
        c.issue_ticket("biz-change", idempotency_key="kiosk-test-key-0002")
    assert refused.value.status in (401, 403)


def test_nobody_listening_is_unreachable_quickly():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = HallClient(f"http://127.0.0.1:{port}", "t", timeout=1)
    started = time.monotonic()
    with pytest.raises(HallUnreachable):
        c.services()
    assert time.monotonic() - started < 1.5


def test_a_hall_that_does_not_answer_times_out():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)                 # accepts the connection, never answers
        c = HallClient(f"http://127.0.0.1:{silent.getsockname()[1]}", "t", timeout=0.3)
        with pytest.raises(HallUnreachable):
            c.health()


def test_one_kept_alive_connection_serves_a_kiosks_requests(hall):
    """The kiosk no longer opens a connection per request: a tap costs no TCP handshake."""
    from tests.support.netproxy import FreezableRelay

    relay = FreezableRelay(int(hall.url.rsplit(":", 1)[1]))
    c = HallClient(relay.url, hall.device_token("kiosk"), timeout=3)
    try:
        for i in range(5):
            c.services()
            c.issue_ticket("biz-change", idempotency_key=f"kiosk-keepalive-{i:04d}")
        assert relay.accepted == 1
    finally:
        c.close()
        relay.close()


def test_a_restarted_hall_is_reached_again_on_a_fresh_connection(tmp_path):
    """A kept-alive socket that died with the hall is not reused: the next call just works."""
    c = None
    with HallServer(tmp_path / "a") as first:
        url, db = first.url, first.db_path
        c = HallClient(url, first.device_token("kiosk"), timeout=3)
        assert c.services()
    with pytest.raises(HallUnreachable):
        c.services()
    port = int(url.rsplit(":", 1)[1])
    try:
        with HallServer(tmp_path / "a", db_path=db, port=port) as again:
            assert again.url == url
            assert c.services()        # the same client, the same token, a new connection
    finally:
        c.close()


def test_kiosk_config_through_the_client_is_the_halls_own(tmp_path):
    """What the kiosk asks at start-up (kiosk/cli.py) reaches the hall, not a 404: a hall
    whose names differ from the kiosk's built-in defaults gets them on the kiosk."""
    from hall.config import EXAMPLE_PATH
    from kiosk.cli import _take_choices_from_hall
    from kiosk.settings import KioskSettings

    text = EXAMPLE_PATH.read_text(encoding="utf-8")
    text = text.replace('name_zh = "示范市政务服务中心"', 'name_zh = "河西区政务服务中心"', 1)
    text = text.replace('name_zh = "人才服务"', 'name_zh = "人才与就业服务"', 1)
    (tmp_path / "hall.toml").write_text(text, encoding="utf-8")
    with HallServer(tmp_path, config_path=tmp_path / "hall.toml") as hall:
        c = HallClient(hall.url, hall.device_token("kiosk"), timeout=3)
        try:
            assert c.kiosk_config()["hall"]["name_zh"] == "河西区政务服务中心"
        finally:
            c.close()
        settings = KioskSettings(hall_url=hall.url, token=hall.device_token("kiosk"))
        _take_choices_from_hall(settings)
    assert settings.hall_name == "河西区政务服务中心"
    assert settings.domain_names["talent"][0] == "人才与就业服务"


@pytest.mark.parametrize("raw, masked", [("13800138000", "138****8000"),
                                         ("138-0013-8000", "138****8000"),
                                         ("", ""), (None, ""), ("123", "***")])
def test_phone_masking(raw, masked):
    assert mask_phone(raw) == masked
