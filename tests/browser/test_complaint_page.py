"""吐槽找茬 on the citizen's own phone (the kiosk's QR points here): filed, tracked, a case opened."""

import httpx


def test_a_citizen_files_a_complaint_from_a_phone(hall_server, new_page, tmp_path):
    page = new_page(viewport=(390, 844), mobile=True)
    page.goto(hall_server.url + "/complaint")
    page.get_by_role("button", name="办事效率").click()
    page.get_by_role("button", name="等候时间太长").click()
    page.fill("#text", "上午排了两个小时")
    page.fill("#phone", "13800138000")
    page.click("#submit")
    page.wait_for_selector("#done:not(.hidden)", timeout=5000)
    done = page.text_content("#done")
    assert "受理编号" in done
    code = done.split("：")[1].split()[0]
    page.screenshot(path=str(tmp_path / "complaint.png"))
    complaint = hall_server.engine.complaint_by_code(code)
    assert complaint["category"] == "efficiency" and complaint["text"] == "上午排了两个小时"
    assert complaint["has_contact"] == 1 and complaint["case_state"] == "open"
    assert "13800138000" not in httpx.get(hall_server.url + "/api/v1/kiosk-config").text


def test_nothing_chosen_gets_a_clear_message(hall_server, new_page):
    page = new_page(viewport=(390, 844), mobile=True)
    page.goto(hall_server.url + "/complaint")
    page.wait_for_selector("#categories button")
    page.click("#submit")
    assert "请选择问题类别" in page.text_content("#message")
