"""The clerk console keeps work in view: held tickets with resume, dialogs that keep their text
on a refusal, a confirm before 过号, service search by name or pinyin initials, no raw codes."""

from __future__ import annotations

import uuid

import httpx

from .test_console import sign_in


def issue(hall, kiosk, service_id="biz-setup", **body):
    r = httpx.post(hall.url + "/api/v1/tickets", json={"service_id": service_id, **body},
                   headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": uuid.uuid4().hex})
    r.raise_for_status()
    return r.json()


def _desk(hall, page, *services):
    hall.add_staff("c1", "张晓燕", "clerk", "246810")
    kiosk = hall.device_token("kiosk", "kiosk-1")
    tickets = [issue(hall, kiosk, s) for s in services]
    sign_in(page, hall)
    page.click("[data-action=open]")
    page.wait_for_selector("#window-state:text('开放')")
    return kiosk, tickets


def test_held_tickets_stay_listed_and_resume_after_another_call(hall_server, page, shots_dir):
    hall = hall_server
    _desk(hall, page, "biz-setup", "biz-change")
    page.keyboard.press("n")
    page.wait_for_selector("#current-number:text('A001')")
    page.keyboard.press("h")                      # 挂起 A001 (filling in a form)
    page.wait_for_selector("#held li[data-ticket]")
    page.keyboard.press("n")                      # the next citizen meanwhile
    page.wait_for_selector("#current-number:text('B001')")
    held = page.locator("#held li")
    assert held.count() == 1 and "A001" in held.inner_text() and "企业设立登记" in held.inner_text()
    # busy with B001: resume waits, and says why
    assert held.locator("button").is_disabled()
    assert "请先" in held.locator("button").get_attribute("title")
    page.screenshot(path=str(shots_dir / "console-held.png"))
    page.keyboard.press("f")
    page.wait_for_selector("#dlg-finish[open]")
    page.click("#finish-form button[type=submit]")
    page.wait_for_selector("#current-number:text('—')")
    held.locator("button").click()
    page.wait_for_selector("#current-number:text('A001')")
    assert page.locator("#held-box").is_hidden()


def test_refusal_dialog_keeps_its_text_on_a_validation_error(hall_server, page, shots_dir):
    hall = hall_server
    _desk(hall, page, "biz-change")
    page.keyboard.press("n")
    page.wait_for_selector("#current-number:text('B001')")
    page.keyboard.press("d")
    page.wait_for_selector("#dlg-refuse[open]")
    page.fill("#refuse-form textarea[name=text]", "股东会决议缺少签字页，请补齐")
    page.click("#refuse-form button[type=submit]")          # nothing ticked: refused by the hall
    page.wait_for_selector("#dlg-refuse .dlg-error:not(.hidden)")
    assert page.locator("#dlg-refuse").get_attribute("open") is not None
    assert "缺少的材料" in page.locator("#dlg-refuse .dlg-error").inner_text()
    assert page.input_value("#refuse-form textarea[name=text]") == "股东会决议缺少签字页，请补齐"
    page.screenshot(path=str(shots_dir / "console-refuse-error.png"))
    page.check("#refuse-materials input[value='股东会决议']")
    page.click("#refuse-form button[type=submit]")
    page.wait_for_selector("#dlg-notice[open]")
    assert page.locator("#dlg-refuse").get_attribute("open") is None


def test_no_show_asks_first_and_cancel_keeps_the_ticket(hall_server, page):
    hall = hall_server
    _desk(hall, page, "biz-setup")
    page.keyboard.press("n")
    page.wait_for_selector("#current-number:text('A001')")
    for n in (1, 2):
        page.keyboard.press("r")
        page.wait_for_function(f"document.getElementById('current-meta').textContent.includes('已重呼 {n}')")
    page.keyboard.press("x")
    page.wait_for_selector("#dlg-noshow[open]")
    assert "A001" in page.locator("#noshow-text").inner_text() and "2 次" in page.locator("#noshow-text").inner_text()
    page.click("#dlg-noshow .cancel")                       # a slip of the finger: nothing happens
    assert page.locator("#current-number").inner_text() == "A001"
    with hall.store.read() as db:
        assert db.execute("SELECT state FROM tickets").fetchone()[0] == "called"
    page.keyboard.press("x")
    page.wait_for_selector("#dlg-noshow[open]")
    page.keyboard.press("Enter")                            # confirm is focused
    page.wait_for_selector("#current-number:text('—')")
    with hall.store.read() as db:
        assert db.execute("SELECT state FROM tickets").fetchone()[0] == "no_show"


def test_transfer_and_redirect_find_a_service_by_pinyin_initials(hall_server, page, shots_dir):
    hall = hall_server
    _desk(hall, page, "biz-setup")
    page.keyboard.press("n")
    page.wait_for_selector("#current-number:text('A001')")
    page.keyboard.press("t")
    page.wait_for_selector("#dlg-transfer[open]")
    page.fill("#transfer-search", "fply")                   # 发票领用
    options = page.locator("#transfer-service option").all_inner_texts()
    assert options == ["L · 发票领用"]
    page.screenshot(path=str(shots_dir / "console-transfer-search.png"))
    page.fill("#transfer-search", "不动产")
    assert all("不动产" in o for o in page.locator("#transfer-service option").all_inner_texts())
    page.fill("#transfer-search", "mortgage")               # English names too
    assert page.locator("#transfer-service option").all_inner_texts() == ["J · 抵押权登记"]
    page.fill("#transfer-search", "fply")
    page.press("#transfer-search", "Enter")
    page.wait_for_selector("#current-number:text('—')")
    with hall.store.read() as db:
        assert db.execute("SELECT COUNT(*) FROM tickets WHERE service_id = 'tax-invoice'").fetchone()[0] == 1
    page.keyboard.press("n")          # A001 again, now for 发票领用 (it keeps its place)
    page.wait_for_function("document.getElementById('current-service').textContent.includes('发票领用')")
    page.keyboard.press("d")
    page.wait_for_selector("#dlg-refuse[open]")
    page.click("#refuse-form .tab[data-kind=redirect]")
    page.fill("#refuse-search", "yzkz")                     # 印章刻制备案
    assert page.locator("#refuse-service option").all_inner_texts() == ["C · 印章刻制备案"]
    page.fill("#refuse-search", "zzzz")
    assert page.locator("#refuse-service option").all_inner_texts() == ["没有匹配的事项"]


def test_labels_are_in_the_clerks_language_not_codes(hall_server, page):
    hall = hall_server
    hall.add_staff("c1", "张晓燕", "clerk", "246810")
    kiosk = hall.device_token("kiosk", "kiosk-1")
    issue(hall, kiosk, "biz-setup", priority_reason="elderly")
    sign_in(page, hall)
    page.click("[data-action=open]")
    page.wait_for_selector("#window-state:text('开放')")
    page.keyboard.press("n")
    page.wait_for_selector("#current-number:text('A001')")
    page.wait_for_function("document.getElementById('current-meta').textContent.includes('老年人')")
    meta = page.locator("#current-meta").inner_text()
    assert "绿色通道·老年人" in meta and "elderly" not in meta
    assert "(c1)" not in page.locator("#who").inner_text() and "（c1）" not in page.locator("#who").inner_text()
    page.click("#lang")
    page.wait_for_function("document.getElementById('current-meta').textContent.includes('Senior citizen')")
    assert "Green channel·Senior citizen" in page.locator("#current-meta").inner_text()
