"""The back office (/backoffice) and the citizen's matter page (/m/TOKEN) in headless Chromium:
an approver signs in, sees overdue-first order, approves, is refused an illegal step with a
clear message, marks ready; the citizen's phone shows owed materials and then the pickup QR."""

from __future__ import annotations

import uuid

import httpx


def _accept(hall, kiosk, clerk, outcome="accepted", service="biz-setup", window="w03", **body):
    api = hall.url + "/api/v1"
    t = httpx.post(api + "/tickets", json={"service_id": service, "phone": "13912345678"},
                   headers={"Authorization": f"Bearer {kiosk}", "Idempotency-Key": uuid.uuid4().hex}).json()
    h = {"Authorization": f"Bearer {clerk}"}
    assert httpx.post(api + f"/windows/{window}/call-next", headers=h).json()["ticket"]["id"] == t["id"]
    r = httpx.post(api + f"/windows/{window}/finish", json={"outcome": outcome, **body}, headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_approver_walks_the_queue_and_the_citizen_follows_on_the_phone(hall_server, new_page, shots_dir):
    hall = hall_server
    kiosk = hall.device_token("kiosk", "kiosk-1")
    clerk = hall.staff_token("c1", window_id="w03")
    httpx.post(hall.url + "/api/v1/windows/w03/open", headers={"Authorization": f"Bearer {clerk}"})
    slow = _accept(hall, kiosk, clerk, service="biz-close")                  # 5 working days
    fast = _accept(hall, kiosk, clerk, "accepted_pending", pending_materials=["住所使用证明"])   # 3
    hall.staff_token("a1", role="approver")          # creates the approver with the test PIN

    page = new_page()
    page.goto(hall.url + "/backoffice")
    page.fill("#staff-id", "a1")
    page.fill("#pin", "246810")
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#queue-body tr")
    codes = page.locator("#queue-body tr td:first-child").all_inner_texts()
    assert codes == [fast["slip"]["code"], slow["slip"]["code"]]            # by promised date
    page.locator("#queue-body tr", has_text=fast["slip"]["code"]).click()
    page.wait_for_selector("#d-code:text('{}')".format(fast["slip"]["code"]))
    assert "住所使用证明" in page.inner_text("#d-owed") and "139****5678" in page.inner_text("#d-phone")
    assert page.locator("[data-step=ready]").is_disabled()
    page.click("[data-step=approve]")
    page.click("#step-form button[type=submit]")
    page.wait_for_selector("#d-state:has-text('已批准')")
    # The page dims steps that do not fit; the hall still refuses them with a clear message.
    page.evaluate("document.querySelector('[data-step=ready]').disabled = false")
    page.click("[data-step=ready]")
    page.click("#step-form button[type=submit]")
    page.wait_for_selector("#status:has-text('尚缺材料')")
    assert "住所使用证明" in page.inner_text("#status")
    page.screenshot(path=str(shots_dir / "backoffice.png"), full_page=True)

    # The citizen's phone: owed materials with the deadline, no pickup QR for collection yet.
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(fast["slip"]["page_url"])
    phone.wait_for_selector("#owed:not(.hidden)")
    assert "住所使用证明" in phone.inner_text("#owed-list")
    assert fast["slip"]["owed_due"] in phone.inner_text("#owed-due")
    phone.screenshot(path=str(shots_dir / "matter-owed.png"), full_page=True)

    # The material arrives at a window; the approver marks it ready; the phone shows the pickup code.
    with hall.store.read() as db:
        mid = db.execute("SELECT id FROM matters WHERE code = ?", (fast["slip"]["code"],)).fetchone()[0]
    r = httpx.post(hall.url + f"/api/v1/matters/{mid}/supplied", json={"material": "住所使用证明"},
                   headers={"Authorization": f"Bearer {clerk}"})
    assert r.status_code == 200
    page.click("#refresh")
    page.locator("#queue-body tr", has_text=fast["slip"]["code"]).click()
    page.wait_for_selector("[data-step=ready]:not([disabled])")
    page.click("[data-step=ready]")
    page.click("#step-form button[type=submit]")
    page.wait_for_selector("#d-state:has-text('待领取')")
    steps = page.inner_text("#d-steps")
    assert "受理" in steps and "补交材料" in steps and "批准" in steps and "办结待领取" in steps

    phone.reload()
    phone.wait_for_selector("#pickup:not(.hidden)")
    assert phone.locator("#owed").is_hidden()
    assert "统一出件" in phone.inner_text("#summary")
    assert phone.evaluate("document.getElementById('pickup-qr').naturalWidth") > 100
    phone.screenshot(path=str(shots_dir / "matter-ready.png"), full_page=True)


def test_unknown_matter_link_says_so_in_both_languages(hall_server, new_page):
    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(hall_server.url + "/m/" + "0" * 24)
    phone.wait_for_selector("#error:not(.hidden)")
    text = phone.inner_text("#error")
    assert "找不到" in text and "matter" in text.lower()


def test_manager_sees_the_one_visit_rate_with_plot_and_uncollected(hall_server, new_page, shots_dir):
    hall = hall_server
    kiosk = hall.device_token("kiosk", "kiosk-1")
    clerk = hall.staff_token("c1", window_id="w03")
    httpx.post(hall.url + "/api/v1/windows/w03/open", headers={"Authorization": f"Bearer {clerk}"})
    out = _accept(hall, kiosk, clerk, "accepted_pending", pending_materials=["住所使用证明"])
    _accept(hall, kiosk, clerk, service="biz-seal")                 # 即办件: settled in one visit
    hall.staff_token("m1", role="manager")
    page = new_page()
    page.goto(hall.url + "/admin/matters")
    page.fill("#staff-id", "m1")
    page.fill("#pin", "246810")
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#cards .card")
    page.wait_for_function("document.getElementById('plot').naturalWidth > 300")
    cards = page.inner_text("#cards")
    assert "100.0%" in cards and "办件" in cards           # the one settled matter took one visit
    assert "住所使用证明" in page.inner_text("#most-owed")
    rows = page.locator("#table tr").count()
    assert rows >= 4 and out["slip"]["code"]
    with page.expect_download() as dl:
        page.click("#csv")
    assert dl.value.suggested_filename == "one-visit.csv"
    page.screenshot(path=str(shots_dir / "admin-matters.png"), full_page=True)
