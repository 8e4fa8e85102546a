"""/c/CODE on a phone (the complaint receipt's QR): timeline, reply date in working days, outcome."""

from __future__ import annotations

import httpx


def test_tracking_page_follows_the_case_to_its_outcome(hall_server, new_page, shots_dir):
    hall = hall_server
    r = httpx.post(hall.url + "/api/v1/complaints", json={"category": "attitude", "text": "窗口态度差"})
    assert r.status_code == 201
    code = r.json()["code"]
    assert r.json()["track_url"] == f"/c/{code}"
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(hall.url + f"/c/{code}")
    phone.wait_for_selector("#timeline li")
    assert phone.text_content("#state") == "处理中"
    # filed Thursday 2026-11-26; 5 working days -> Thursday 2026-12-03
    due = phone.text_content("#due-text")
    assert "5 个工作日" in due and "2026-12-03" in due
    assert "还剩 5 个工作日" in phone.text_content("#due-left")
    assert phone.locator("#outcome").is_hidden()
    # the complaint's own text is not on a page anyone with the code can open
    assert "窗口态度差" not in phone.content()
    phone.screenshot(path=str(shots_dir / "complaint-track-open.png"), full_page=True)

    manager = hall.staff_token("m1", role="manager")
    h = {"Authorization": f"Bearer {manager}"}
    case_id = hall.engine.list_cases()[0]["id"]
    for step, note in (("verify", ""), ("rectify", "已对窗口人员批评教育"), ("revisit", "电话回访，群众认可"),
                       ("close", "经核实情况属实，已对当事人批评教育并调整排班，感谢您的监督。")):
        assert httpx.post(hall.url + f"/api/v1/cases/{case_id}/advance", json={"step": step, "note": note},
                          headers=h).status_code == 200
    phone.reload()
    phone.wait_for_selector("#outcome:not(.hidden)")
    assert phone.text_content("#state") == "已办结"
    assert "感谢您的监督" in phone.text_content("#outcome-text")
    steps = phone.locator("#timeline li").evaluate_all("els => els.map(e => e.dataset.step)")
    assert steps == ["filed", "verify", "rectify", "revisit", "close"]
    # notes written for staff (rectify, revisit) stay with staff
    assert "批评教育" not in phone.text_content("#timeline") and "电话回访，群众认可" not in phone.content()
    phone.screenshot(path=str(shots_dir / "complaint-track-closed.png"), full_page=True)
    phone.click("#lang")
    phone.wait_for_selector("#state:text('Closed')")
    assert "Received" in phone.text_content("#timeline")


def test_unknown_code_is_a_page_in_both_languages_not_json(hall_server, new_page):
    phone = new_page(viewport=(390, 844), mobile=True)
    resp = phone.goto(hall_server.url + "/c/TS20261126-0999")
    assert resp.status == 200 and "text/html" in resp.headers["content-type"]
    phone.wait_for_selector("#message:not(.hidden)")
    assert "找不到该编号" in phone.text_content("#message")
    phone.click("#lang")
    assert "No complaint with this code" in phone.text_content("#message")
    resp = phone.goto(hall_server.url + "/c/nonsense")
    assert resp.status == 404 and "text/html" in resp.headers["content-type"]
