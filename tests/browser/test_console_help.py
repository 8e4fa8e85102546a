"""帮办代办 from the console: a kiosk's help call appears live; a helper takes it and closes it."""

from __future__ import annotations

import httpx

from tests.browser.test_console import sign_in


def test_help_call_from_a_kiosk_is_taken_and_closed_at_the_console(hall_server, new_page, shots_dir):
    hall = hall_server
    hall.add_staff("c7", "李帮办", "clerk", "246810")      # staffs the 帮办代办 window
    kiosk = hall.device_token("kiosk", "kiosk-1")
    page = new_page()
    sign_in(page, hall, staff_id="c7", window_number=17)
    page.wait_for_selector("#help li")
    assert "暂无求助" in page.text_content("#help")

    r = httpx.post(hall.url + "/api/v1/help-requests", json={"note": "老人需要帮助填表"},
                   headers={"Authorization": f"Bearer {kiosk}"})
    help_id = r.json()["id"]
    page.wait_for_selector(f"#help button[data-help='{help_id}']", timeout=5000)
    assert "老人需要帮助填表" in page.text_content("#help") and "等待响应" in page.text_content("#help")
    page.screenshot(path=str(shots_dir / "console-help.png"))
    page.click(f"#help button[data-help='{help_id}']:text('我去帮忙')")
    page.wait_for_selector(f"#help button[data-help='{help_id}']:text('已办完')", timeout=5000)
    assert hall.engine.get_help(help_id)["ack_by"] == "c7"
    page.click(f"#help button[data-help='{help_id}']")
    page.wait_for_function("document.getElementById('help').textContent.includes('暂无求助')", timeout=5000)
    assert hall.engine.get_help(help_id)["state"] == "closed"


def test_a_helper_signs_in_to_the_help_desk_and_takes_a_call(hall_server, new_page, shots_dir):
    hall = hall_server
    hall.add_staff("h1", "王帮办", "helper", "246810")
    kiosk = hall.device_token("kiosk", "kiosk-2")
    page = new_page()
    page.goto(hall.url + "/console")
    page.fill("#staff-id", "h1")
    page.fill("#pin", "246810")
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#helpdesk:not(.hidden)")
    assert page.locator("#pick").is_hidden() and page.locator("#desk").is_hidden()
    page.wait_for_selector("#live:not(.off)")
    r = httpx.post(hall.url + "/api/v1/help-requests", json={"note": "轮椅通道"},
                   headers={"Authorization": f"Bearer {kiosk}"})
    help_id = r.json()["id"]
    page.wait_for_selector(f"#help-desk button[data-help='{help_id}']", timeout=5000)
    page.screenshot(path=str(shots_dir / "console-helpdesk.png"))
    page.click(f"#help-desk button[data-help='{help_id}']")
    page.wait_for_selector(f"#help-desk button[data-help='{help_id}']:text('已办完')", timeout=5000)
    assert hall.engine.get_help(help_id)["ack_by"] == "h1"
