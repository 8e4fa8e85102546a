"""The citizen's ticket page on a phone-sized headless Chromium: live wait, rating, complaint."""

from __future__ import annotations

import uuid

import httpx


def test_rating_given_on_the_ticket_page_is_stored(hall_server, new_page, shots_dir):
    hall = hall_server
    kiosk = hall.device_token("kiosk", "kiosk-1")
    clerk = hall.staff_token("c1", window_id="w03")
    h = {"Authorization": f"Bearer {clerk}"}
    api = hall.url + "/api/v1"
    for _ in range(3):
        httpx.post(api + "/tickets", json={"service_id": "biz-setup"},
                   headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": uuid.uuid4().hex})
    mine = httpx.post(api + "/tickets", json={"service_id": "biz-setup"},
                      headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": uuid.uuid4().hex}).json()
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(mine["status_url"])
    phone.wait_for_selector("#ahead:text('3')")
    phone.screenshot(path=str(shots_dir / "ticket-waiting.png"), full_page=True)
    httpx.post(api + "/windows/w03/open", headers=h)
    for _ in range(3):
        httpx.post(api + "/windows/w03/call-next", headers=h)
        httpx.post(api + "/windows/w03/finish", json={"outcome": "completed"}, headers=h)
    phone.wait_for_selector("#ahead:text('0')")
    httpx.post(api + "/windows/w03/call-next", headers=h)
    phone.wait_for_selector("#called:not(.hidden)")
    httpx.post(api + "/windows/w03/finish", json={"outcome": "completed"}, headers=h)
    phone.wait_for_selector("#rate:not(.hidden)")
    # a bad rating needs a reason before it can be sent
    phone.click(".level[data-level='2']")
    assert phone.locator("#rate-submit").is_disabled()
    phone.locator(".reason", has_text="等候时间过长").click()
    phone.screenshot(path=str(shots_dir / "ticket-rate.png"), full_page=True)
    phone.click("#rate-submit")
    phone.wait_for_selector("#rated:not(.hidden)")
    with hall.store.read() as db:
        row = db.execute("SELECT level, reasons, channel FROM ratings WHERE ticket_id = ?",
                         (mine["id"],)).fetchone()
    assert row[0] == 2 and "等候时间过长" in row[1] and row[2] == "web"  # the citizen's phone page
    # the bad rating opened a case for the manager
    with hall.store.read() as db:
        assert db.execute("SELECT COUNT(*) FROM cases WHERE source = 'rating'").fetchone()[0] == 1


def test_complaint_from_the_ticket_page_and_unknown_ticket(hall_server, new_page):
    hall = hall_server
    kiosk = hall.device_token("kiosk", "kiosk-1")
    t = httpx.post(hall.url + "/api/v1/tickets", json={"service_id": "biz-setup"},
                   headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": uuid.uuid4().hex}).json()
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(t["status_url"])
    phone.wait_for_selector("#number:text('A001')")
    phone.click("#complaint-link")
    phone.locator("#complaint-cats button", has_text="办事效率").click()
    phone.fill("#complaint-text", "等了很久没人叫号")
    phone.click("#complaint-submit")
    phone.wait_for_selector("#complaint-done:not(.hidden)")
    assert "TS2026" in phone.locator("#complaint-done").inner_text()
    with hall.store.read() as db:
        assert db.execute("SELECT category, text FROM complaints").fetchone()[0] == "efficiency"
    phone.goto(hall.url + "/t/AAAAAAAAAAAAAAAAAAAAAA")
    phone.wait_for_selector("#message:not(.hidden)")
    assert "没有找到" in phone.locator("#message").inner_text()


def test_page_falls_back_to_polling_when_the_stream_is_refused(tmp_path, new_page):
    from hall.api.limits import ApiLimits

    from .conftest import HallServer

    with HallServer(tmp_path, limits=ApiLimits(max_streams_per_client=0)) as hall:
        kiosk = hall.device_token("kiosk", "kiosk-1")
        clerk = {"Authorization": f"Bearer {hall.staff_token('c1', window_id='w03')}"}
        t = httpx.post(hall.url + "/api/v1/tickets", json={"service_id": "biz-setup"},
                       headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": uuid.uuid4().hex}).json()
        phone = new_page(viewport=(390, 844), mobile=True)
        phone.goto(t["status_url"])
        phone.wait_for_selector("#number:text('A001')")
        httpx.post(hall.url + "/api/v1/windows/w03/open", headers=clerk)
        httpx.post(hall.url + "/api/v1/windows/w03/call-next", headers=clerk)
        phone.wait_for_selector("#called:not(.hidden)", timeout=8000)
        assert phone.locator("#live").inner_text() == "正在连接…"
