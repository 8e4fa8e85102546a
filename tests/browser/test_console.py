"""The clerk console in headless Chromium: sign in, pick the window, call, refuse with a notice."""

from __future__ import annotations

import time
import uuid

import httpx


def issue(hall, kiosk_token, service_id="biz-setup"):
    r = httpx.post(hall.url + "/api/v1/tickets", json={"service_id": service_id},
                   headers={"Authorization": f"Bearer {kiosk_token}", "Idempotency-Key": uuid.uuid4().hex})
    r.raise_for_status()
    return r.json()


def sign_in(page, hall, staff_id="c1", pin="246810", window_number=3):
    page.goto(hall.url + "/console")
    page.fill("#staff-id", staff_id)
    page.fill("#pin", pin)
    page.click("#signin-form button[type=submit]")
    page.locator("#window-list button", has_text=f"{window_number} 号").first.click()
    page.wait_for_selector("#desk:not(.hidden)")
    page.wait_for_selector("#live:not(.off)")


def test_clerk_calls_next_and_the_ticket_page_shows_it_within_a_second(hall_server, new_page, shots_dir):
    hall = hall_server
    hall.add_staff("c1", "张晓燕", "clerk", "246810")
    kiosk = hall.device_token("kiosk", "kiosk-1")
    ticket = issue(hall, kiosk)
    issue(hall, kiosk, "biz-change")

    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(ticket["status_url"])
    phone.wait_for_selector("#number:text('A001')")
    phone.wait_for_function("document.getElementById('live').textContent.includes('实时')")
    assert phone.locator("#called").is_hidden()

    console = new_page()
    sign_in(console, hall)
    console.keyboard.press("o")  # open the window from the keyboard
    console.wait_for_selector("#window-state:text('开放')")
    started = time.monotonic()
    console.click("[data-action=call-next]")
    phone.wait_for_selector("#called:not(.hidden)", timeout=1000)
    delivered = time.monotonic() - started
    assert delivered < 1.0, delivered
    assert phone.locator("#called-window").inner_text() == "3"
    assert "请到" in phone.locator("#called").inner_text()
    console.wait_for_selector("#current-number:text('A001')")
    assert "企业设立登记" in console.locator("#current-service").inner_text()
    # waiting counts for the window's services are shown and live
    assert console.locator("#waiting").inner_text().count("\n") >= 5
    console.screenshot(path=str(shots_dir / "console-called.png"))
    phone.screenshot(path=str(shots_dir / "ticket-called.png"))

    # keyboard shortcuts drive the rest: start, then finish through the dialog
    console.keyboard.press("s")
    console.wait_for_selector(".pill:text('开放')")
    console.wait_for_function("document.getElementById('current-meta').textContent.includes('办理中')")
    console.keyboard.press("f")
    console.wait_for_selector("#dlg-finish[open]")
    console.click("#finish-form button[type=submit]")
    console.wait_for_selector("#current-number:text('—')")
    phone.wait_for_selector("#rate:not(.hidden)")


def test_refusal_with_missing_materials_shows_the_notice(hall_server, page, shots_dir):
    hall = hall_server
    hall.add_staff("c1", "张晓燕", "clerk", "246810")
    kiosk = hall.device_token("kiosk", "kiosk-1")
    issue(hall, kiosk, "biz-change")
    sign_in(page, hall)
    page.click("[data-action=open]")
    page.wait_for_selector("#window-state:text('开放')")
    page.click("[data-action=call-next]")
    page.wait_for_selector("#current-number:text('B001')")
    page.keyboard.press("d")
    page.wait_for_selector("#dlg-refuse[open]")
    # the materials list comes from the service's configuration
    labels = page.locator("#refuse-materials label").all_inner_texts()
    assert "股东会决议" in labels and "章程修正案" in labels
    page.check("#refuse-materials input[value='股东会决议']")
    page.check("#refuse-materials input[value='章程修正案']")
    page.fill("#refuse-form textarea[name=text]", "请补齐后到 3 号窗口办理，无需重新取号咨询")
    page.screenshot(path=str(shots_dir / "console-refuse.png"))
    page.click("#refuse-form button[type=submit]")
    page.wait_for_selector("#dlg-notice[open]")
    notice = page.locator("#notice").inner_text()
    assert "一次性告知单" in notice and "股东会决议" in notice and "B001" in notice
    page.screenshot(path=str(shots_dir / "console-notice.png"))
    with hall.store.read() as db:
        row = db.execute("SELECT kind, materials FROM refusals").fetchone()
    assert row[0] == "missing_materials" and "章程修正案" in row[1]


def test_wrong_pin_shows_a_message_and_english_switch(hall_server, page):
    hall = hall_server
    hall.add_staff("c1", "张晓燕", "clerk", "246810")
    page.goto(hall.url + "/console")
    page.fill("#staff-id", "c1")
    page.fill("#pin", "000000")
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#status:not(.hidden)")
    assert "PIN" in page.locator("#status").inner_text()
    page.click("#lang")
    assert page.locator("#signin h1").inner_text() == "Staff sign-in"


def test_every_action_has_a_button_and_a_key(hall_server, page):
    hall = hall_server
    hall.add_staff("c1", "张晓燕", "clerk", "246810")
    kiosk = hall.device_token("kiosk", "kiosk-1")
    issue(hall, kiosk)
    sign_in(page, hall)
    actions = page.locator("#actions [data-action]")
    names = [actions.nth(i).get_attribute("data-action") for i in range(actions.count())]
    assert set(names) == {"call-next", "recall", "start", "finish", "no-show", "hold", "resume",
                          "requeue", "transfer", "refuse", "open", "pause", "close"}
    keys = [k.lower() for k in page.locator("#actions kbd").all_inner_texts()]
    assert len(set(keys)) == len(names)
    # every button is a comfortable target for a mouse and a touch screen
    for i in range(actions.count()):
        box = actions.nth(i).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 88
    page.keyboard.press("o")
    page.wait_for_selector("#window-state:text('开放')")
    page.keyboard.press("n")
    page.wait_for_selector("#current-number:text('A001')")
    page.keyboard.press("r")
    page.wait_for_function("document.getElementById('current-meta').textContent.includes('已重呼 1')")
    page.keyboard.press("q")  # back to the queue, keeping the place
    page.wait_for_selector("#current-number:text('—')")
    page.keyboard.press("n")
    page.wait_for_selector("#current-number:text('A001')")
    page.keyboard.press("t")
    page.wait_for_selector("#dlg-transfer[open]")
    page.select_option("#transfer-service", "tax-invoice")
    page.click("#transfer-form button[type=submit]")
    # the window's waiting list shows the citizen now queued for 发票领用
    page.wait_for_function(
        "[...document.querySelectorAll('#waiting tr')].some(r => r.textContent.includes('发票领用')"
        " && r.textContent.includes('1'))")
    page.wait_for_selector("#current-number:text('—')")
    with hall.store.read() as db:
        moved = db.execute("SELECT number, service_id, state FROM tickets WHERE service_id = 'tax-invoice'").fetchone()
    assert tuple(moved) == ("A001", "tax-invoice", "waiting")
