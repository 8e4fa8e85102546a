"""The console's 办件 panel in headless Chromium: accepting shows the 受理回执; at 统一出件 the
called pickup ticket shows which result to fetch, and the hand-over is recorded."""

from __future__ import annotations

import uuid

import httpx

from tests.browser.test_console import sign_in


def test_accept_shows_the_slip_and_pickup_clerk_hands_over(hall_server, new_page, shots_dir):
    hall = hall_server
    hall.add_staff("c1", "张晓燕", "clerk", "246810")
    hall.add_staff("c2", "王出件", "clerk", "246810")
    kiosk = hall.device_token("kiosk", "kiosk-1")
    httpx.post(hall.url + "/api/v1/tickets", json={"service_id": "biz-setup"},
               headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": uuid.uuid4().hex})

    console = new_page()
    sign_in(console, hall)
    console.click("[data-action=open]")
    console.wait_for_selector("#window-state:text('开放')")
    console.click("[data-action=call-next]")
    console.wait_for_selector("#current-number:text('A001')")
    console.click("[data-action=finish]")
    console.check("input[name=outcome][value=accepted]")
    console.click("#finish-form button[type=submit]")
    console.wait_for_selector("#dlg-slip[open]")
    slip = console.inner_text("#m-slip")
    assert "受理回执" in slip and "BJ" in slip and "企业设立登记" in slip and "前办结" in slip
    console.screenshot(path=str(shots_dir / "console-slip.png"))
    console.click("#m-slip-close")

    code = console.inner_text("#m-slip .m-code")
    approver = {"Authorization": "Bearer " + hall.staff_token("a1", role="approver")}
    [m] = httpx.get(hall.url + f"/api/v1/matters/by-code/{code}", headers=approver).json()
    for step in ("approve", "ready"):
        assert httpx.post(hall.url + f"/api/v1/matters/{m['id']}/steps", json={"step": step},
                          headers=approver).status_code == 200
    with hall.store.read() as db:
        pickup = db.execute("SELECT pickup_token FROM matter_access WHERE code = ?", (code,)).fetchone()[0]
    scan = httpx.post(hall.url + "/api/v1/matters/scan", json={"code": f"OW1:P:{pickup}"},
                      headers={"Authorization": f"Bearer {kiosk}"}).json()
    assert scan["action"] == "ticket"

    desk = new_page()
    sign_in(desk, hall, staff_id="c2", window_number=15)
    desk.click("[data-action=open]")
    desk.wait_for_selector("#window-state:text('开放')")
    desk.click("[data-action=call-next]")
    desk.wait_for_selector(f"#current-number:text('{scan['ticket']['number']}')")
    card = desk.locator("#m-current .m-card")
    card.wait_for()
    assert code in card.inner_text() and "企业设立登记" in card.inner_text() and "待领取" in card.inner_text()
    card.locator("input").first.fill("张三")
    card.locator("button[type=submit]").click()
    desk.wait_for_selector("#m-status:has-text('已出件')")
    desk.screenshot(path=str(shots_dir / "console-handover.png"))
    done = httpx.get(hall.url + f"/api/v1/matters/{m['id']}", headers=approver).json()
    assert done["state"] == "collected" and done["handed_to"] == "张*" and done["handed_to_full"] == "张三"
    assert [v["kind"] for v in done["visits"]] == ["accept", "pickup"]
