"""电话回访: a 差评 on the phone page leaves a number with consent; the manager reveals it for the
revisit with a reason, each reveal audited; never in events; no consent, no reveal."""

from __future__ import annotations

import logging

import httpx

from .test_admin_manager import PIN, api, hall, serve_one, sign_in  # noqa: F401 - fixtures


def test_bad_rating_contact_revealed_for_the_revisit_and_audited(hall, new_page, shots_dir, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    kiosk = api(hall, hall.device_token("kiosk", "kiosk-1"))
    clerk = api(hall, hall.staff_token("c1", window_id="w03", name="张晓明"))
    clerk.post("/windows/w03/open")
    t = serve_one(hall, kiosk, clerk)
    assert clerk.post("/windows/w03/finish", json={"outcome": "completed"}).status_code == 200

    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(t["status_url"])
    phone.wait_for_selector("#rate:not(.hidden)")
    phone.click(".level[data-level='1']")
    phone.locator(".reason", has_text="推诿扯皮").click()
    phone.fill("#rate-phone", "13912345678")
    phone.click("#rate-submit")
    assert "勾选同意回访" in phone.locator("#message").inner_text()      # no consent: not sent
    phone.check("#rate-consent")
    phone.screenshot(path=str(shots_dir / "ticket-rate-contact.png"), full_page=True)
    phone.click("#rate-submit")
    phone.wait_for_selector("#rated:not(.hidden)")

    page = new_page()
    sign_in(page, hall, "cases")
    page.locator("#case-table tr[data-case]", has_text=t["number"]).click()
    page.wait_for_selector("#reveal-go")
    assert page.locator("#reveal-number").inner_text() == "139****5678"
    page.click("#reveal-go")                                         # no reason: refused
    page.wait_for_selector("#case-msg:not(.hidden)")
    assert "原因" in page.locator("#case-msg").inner_text()
    page.fill("#reveal-reason", "差评回访")
    page.click("#reveal-go")
    page.wait_for_selector("#reveal-number a[href='tel:13912345678']")
    assert "已查看 1 次" in page.locator("#reveal-count").inner_text()
    page.screenshot(path=str(shots_dir / "admin-revisit-reveal.png"), full_page=True)

    with hall.store.read() as db:
        audit = [tuple(r) for r in db.execute("SELECT staff_id, reason FROM contact_reveals")]
        events = "".join(r[0] for r in db.execute("SELECT payload FROM events"))
    assert audit == [("m1", "差评回访")]
    assert "13912345678" not in events
    assert "13912345678" not in caplog.text
    # the board itself still shows only the masked number
    manager = api(hall, hall.staff_token("m1", role="manager", pin=PIN))
    board = manager.get("/admin/cases").text
    assert "13912345678" not in board and "139****5678" in board
    reveals = manager.get(f"/admin/cases/{hall.engine.list_cases()[0]['id']}/contact-reveals").json()
    assert [r["staff_name"] for r in reveals] == ["王主任"]


def test_no_consent_no_reveal_and_clerks_cannot_reveal(hall):  # noqa: F811
    kiosk = api(hall, hall.device_token("kiosk", "kiosk-1"))
    # a kiosk complaint with a phone but without the consent box
    assert kiosk.post("/complaints", json={"category": "attitude", "phone": "13800138000"}).status_code == 201
    case_id = hall.engine.list_cases()[0]["id"]
    manager = api(hall, hall.staff_token("m1", role="manager", pin=PIN))
    r = manager.post(f"/admin/cases/{case_id}/contact", json={"reason": "回访"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_consent"
    clerk = api(hall, hall.staff_token("c1", window_id="w03"))
    assert clerk.post(f"/admin/cases/{case_id}/contact", json={"reason": "回访"}).status_code == 403
    # with consent (the /complaint page) the number can be revealed
    r = httpx.post(hall.url + "/api/v1/complaints", json={"category": "attitude", "phone": "13700137000",
                                                          "contact_consent": True})
    case_id = next(c["id"] for c in hall.engine.list_cases() if c["id"] != case_id)
    r = manager.post(f"/admin/cases/{case_id}/contact", json={"reason": "投诉回访"})
    assert r.status_code == 200 and r.json()["phone"] == "13700137000"
    assert r.headers["cache-control"] == "no-store"
