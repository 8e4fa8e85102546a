"""吐槽找茬 on the citizen's own phone (the kiosk's QR points here): filed, tracked, a case opened."""

import httpx


def test_a_citizen_files_a_complaint_from_a_phone(hall_server, new_page, shots_dir):
    page = new_page(viewport=(390, 844), mobile=True)
    page.goto(hall_server.url + "/complaint")
    page.get_by_role("button", name="办事效率").click()
    page.get_by_role("button", name="等候时间太长").click()
    page.fill("#text", "上午排了两个小时")
    page.fill("#phone", "13800138000")
    page.click("#submit")
    # a number without the call-back consent is not sent, and nothing typed is lost
    assert "勾选同意回访" in page.text_content("#message")
    assert page.input_value("#text") == "上午排了两个小时"
    page.check("#consent")
    page.click("#submit")
    page.wait_for_selector("#receipt:not(.hidden)", timeout=5000)
    # the code is at the top, in view and focused, so nobody scrolls past it and resends
    assert page.evaluate("document.activeElement.id") == "receipt"
    box = page.locator("#receipt-code").bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 844
    code = page.text_content("#receipt-code")
    assert code.startswith("TS2026")
    assert "5 个工作日" in page.text_content("#receipt-keep")
    page.screenshot(path=str(shots_dir / "complaint-receipt.png"))
    complaint = hall_server.engine.complaint_by_code(code)
    assert complaint["category"] == "efficiency" and complaint["text"] == "上午排了两个小时"
    assert complaint["has_contact"] == 1 and complaint["case_state"] == "open"
    assert complaint["source"] == "qr"
    with hall_server.store.read() as db:
        assert db.execute("SELECT consent FROM complaint_contacts").fetchone()[0] == 1
    assert "13800138000" not in httpx.get(hall_server.url + "/api/v1/kiosk-config").text
    page.click("#receipt-link")
    page.wait_for_selector("#timeline li")
    assert page.url.endswith("/c/" + code)
    assert page.text_content("#code") == code


def test_nothing_chosen_gets_a_clear_message(hall_server, new_page):
    page = new_page(viewport=(390, 844), mobile=True)
    page.goto(hall_server.url + "/complaint")
    page.wait_for_selector("#categories button")
    page.click("#submit")
    assert "请选择问题类别" in page.text_content("#message")
