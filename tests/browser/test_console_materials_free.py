"""免提交 at the clerk's console: a material the platform holds is not offered as missing, and the
one-time notice tells the citizen not to bring it."""

from __future__ import annotations

from .test_console import issue, sign_in


def test_refusal_dialog_and_notice_mark_free_materials(hall_server, page, shots_dir):
    hall = hall_server
    hall.add_staff("c1", "张晓燕", "clerk", "246810")
    issue(hall, hall.device_token("kiosk", "kiosk-1"), "biz-change")
    sign_in(page, hall)
    page.click("[data-action=open]")
    page.wait_for_selector("#window-state:text('开放')")
    page.click("[data-action=call-next]")
    page.wait_for_selector("#current-number:text('B001')")
    page.keyboard.press("d")
    page.wait_for_selector("#dlg-refuse[open]")
    labels = page.locator("#refuse-materials label").all_inner_texts()
    assert "股东会决议" in labels and "营业执照正副本" not in labels     # the platform holds it
    page.check("#refuse-materials input[value='股东会决议']")
    page.click("#refuse-form button[type=submit]")
    page.wait_for_selector("#dlg-notice[open]")
    notice = page.locator("#notice").inner_text()
    assert "股东会决议" in notice
    assert "免提交（平台已有电子证照）" in notice and "营业执照正副本" in notice
    page.screenshot(path=str(shots_dir / "console-notice-free.png"))
