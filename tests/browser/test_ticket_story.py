"""The phone page /t/TOKEN at 390x844 tells the whole story: the one-time notice after each
refusal kind, the redirect explained, where to go after a no-show, and the walk-out button."""

from __future__ import annotations

import uuid

import httpx
import pytest


def _issue(hall, kiosk, service="biz-setup"):
    return httpx.post(hall.url + "/api/v1/tickets", json={"service_id": service},
                      headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": uuid.uuid4().hex}).json()


@pytest.fixture
def floor(hall_server):
    hall = hall_server
    kiosk = hall.device_token("kiosk", "kiosk-1")
    clerk = {"Authorization": f"Bearer {hall.staff_token('c1', window_id='w03')}"}
    httpx.post(hall.url + "/api/v1/windows/w03/open", headers=clerk).raise_for_status()
    return hall, kiosk, clerk


def _called_then(hall, clerk, action: str, body: dict) -> httpx.Response:
    api = hall.url + "/api/v1/windows/w03/"
    httpx.post(api + "call-next", headers=clerk).raise_for_status()
    r = httpx.post(api + action, json=body, headers=clerk)
    r.raise_for_status()
    return r


def test_missing_materials_notice_lists_what_is_missing_and_what_was_handed_in(floor, new_page, shots_dir):
    hall, kiosk, clerk = floor
    t = _issue(hall, kiosk)
    _called_then(hall, clerk, "refuse", {"kind": "missing_materials",
                                         "materials": ["公司章程", "住所使用证明"], "text": "章程需全体股东签字"})
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(t["status_url"])
    phone.wait_for_selector("#notice:not(.hidden)")
    assert phone.locator("#state").inner_text() == "已出具一次性告知单"
    assert phone.locator("#notice-title").inner_text() == "一次性告知单"
    assert phone.locator("#notice-missing li").all_inner_texts() == ["公司章程", "住所使用证明"]
    handed = phone.locator("#notice-handed li").all_inner_texts()
    assert handed == ["公司登记（备案）申请书", "股东主体资格证明"]
    # held by the platform as an electronic licence: nobody needs to bring it (免提交)
    assert phone.locator("#notice-electronic li").all_inner_texts() == ["法定代表人身份证件"]
    assert "章程需全体股东签字" in phone.locator("#notice-text").inner_text()
    assert "3 号窗口" in phone.locator("#notice-meta").inner_text()
    assert "12345" in phone.locator("#notice-contact").inner_text()
    phone.screenshot(path=str(shots_dir / "ticket-notice-missing.png"), full_page=True)
    phone.click("#lang")
    phone.wait_for_selector("#notice-title:text('One-time notice of missing materials')")
    assert "Already handed in" in phone.locator("#notice-handed-box").inner_text()
    assert phone.locator("#notice-electronic li").all_inner_texts() == ["ID of the legal representative"]
    assert phone.locator("#hall").inner_text() == "Demo City Government Service Center"
    assert phone.locator("#live").inner_text() == "Live"
    phone.screenshot(path=str(shots_dir / "ticket-notice-missing-en.png"), full_page=True)


def test_escalation_says_to_whom_by_when_and_whom_to_call(floor, new_page, shots_dir):
    hall, kiosk, clerk = floor
    t = _issue(hall, kiosk)
    _called_then(hall, clerk, "refuse", {"kind": "escalate", "escalate_to": "chief_representative",
                                         "text": "经营范围含前置审批，需研究"})
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(t["status_url"])
    phone.wait_for_selector("#notice[data-kind='escalate']")
    assert phone.locator("#state").inner_text() == "已提交研究，等待答复"
    lead = phone.locator("#notice-lead").inner_text()
    # 2026-11-26 (Thu) + 3 working days = Tue 2026-12-01
    assert "首席代表" in lead and "3 个工作日" in lead and "2026-12-01" in lead
    assert "告知单" not in phone.locator("#notice").inner_text()
    assert "经营范围含前置审批" in phone.locator("#notice-text").inner_text()
    assert "综合咨询台" in phone.locator("#notice-contact").inner_text()
    phone.screenshot(path=str(shots_dir / "ticket-notice-escalate.png"), full_page=True)


def test_redirect_explains_old_and_new_service_and_keeps_the_queue(floor, new_page, shots_dir):
    hall, kiosk, clerk = floor
    t = _issue(hall, kiosk)
    _called_then(hall, clerk, "refuse", {"kind": "redirect", "target_service_id": "tax-invoice",
                                         "text": "发票领用由税务办理"})
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(t["status_url"])
    phone.wait_for_selector("#notice[data-kind='redirect']")
    assert phone.locator("#route-from").inner_text() == "企业设立登记"
    assert phone.locator("#route-to").inner_text() == "发票领用"
    assert phone.locator("#service").inner_text() == "发票领用"
    assert "发票领用由税务办理" in phone.locator("#notice-text").inner_text()
    assert phone.locator("#queue").is_visible()
    phone.screenshot(path=str(shots_dir / "ticket-notice-redirect.png"), full_page=True)


def test_no_show_names_the_place_to_go(floor, new_page, shots_dir):
    hall, kiosk, clerk = floor
    t = _issue(hall, kiosk)
    api = hall.url + "/api/v1/windows/w03/"
    httpx.post(api + "call-next", headers=clerk).raise_for_status()
    for _ in range(2):
        httpx.post(api + "recall", headers=clerk).raise_for_status()
    httpx.post(api + "no-show", headers=clerk).raise_for_status()
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(t["status_url"])
    phone.wait_for_selector("#noshow:not(.hidden)")
    assert phone.locator("#noshow-place").inner_text() == "综合咨询台（大厅入口右侧）"
    assert phone.locator("#notice").is_hidden()
    phone.screenshot(path=str(shots_dir / "ticket-noshow.png"), full_page=True)


def test_i_am_leaving_records_a_walk_out_in_the_day_report(floor, new_page, shots_dir):
    hall, kiosk, clerk = floor
    t = _issue(hall, kiosk)
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(t["status_url"])
    phone.wait_for_selector("#leave-box:not(.hidden)")
    phone.click("#leave")
    phone.wait_for_selector("#leave-confirm:not(.hidden)")
    phone.screenshot(path=str(shots_dir / "ticket-leave-confirm.png"), full_page=True)
    phone.click("#leave-no")               # changed their mind: nothing recorded
    assert phone.locator("#leave-confirm").is_hidden()
    with hall.store.read() as db:
        assert db.execute("SELECT state FROM tickets WHERE id = ?", (t["id"],)).fetchone()[0] == "waiting"
    phone.click("#leave")
    phone.click("#leave-yes")
    phone.wait_for_selector("#left:not(.hidden)")
    assert phone.locator("#leave-box").is_hidden()
    assert "离开" in phone.locator("#state").inner_text()
    phone.screenshot(path=str(shots_dir / "ticket-left.png"), full_page=True)
    with hall.store.read() as db:
        assert db.execute("SELECT state FROM tickets WHERE id = ?", (t["id"],)).fetchone()[0] == "walked_out"
    from hall.reports import day_summary

    summary = day_summary(hall.store, "2026-11-26")
    assert summary["walked_out"] == 1 and summary["no_show"] == 0
    # nobody is called for a citizen who left
    r = httpx.post(hall.url + "/api/v1/windows/w03/call-next", headers=clerk)
    assert r.status_code == 204


def test_a_service_nobody_serves_says_so_before_and_after_issuing(floor, new_page, shots_dir):
    hall, kiosk, clerk = floor
    services = {s["id"]: s for s in httpx.get(hall.url + "/api/v1/services").json()}
    assert services["cons-permit"]["no_window"] is True and services["cons-permit"]["eta_minutes"] is None
    assert services["biz-setup"]["no_window"] is False
    t = _issue(hall, kiosk, "cons-permit")
    assert t["no_window"] is True and t["eta_minutes"] is None and "当前无窗口办理" in t["no_window_zh"]
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(t["status_url"])
    phone.wait_for_selector("#no-window:not(.hidden)")
    assert "当前无窗口办理" in phone.locator("#no-window").inner_text()
    assert phone.locator("#eta").inner_text() == "-"
    phone.screenshot(path=str(shots_dir / "ticket-no-window.png"), full_page=True)
    # a window opens for it: the note goes away live
    other = {"Authorization": f"Bearer {hall.staff_token('c2', window_id='w06')}"}
    httpx.post(hall.url + "/api/v1/windows/w06/open", headers=other).raise_for_status()
    phone.wait_for_selector("#no-window.hidden", state="attached")
    assert phone.locator("#eta").inner_text() != "-"
