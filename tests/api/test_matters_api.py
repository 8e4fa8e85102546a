"""Matters over real HTTP: acceptance at the window returns the slip, the approver's steps, the
clerk's 容缺 and hand-over, the kiosk's pickup-code scan, the citizen's page, the manager's report."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from tests.api.conftest import Client, assert_error

PHONE = "13912345678"


@pytest.fixture
def approver(hall):
    return Client(hall.url, hall.staff_token("a1", role="approver"))


@pytest.fixture
def manager(hall):
    return Client(hall.url, hall.staff_token("m1", role="manager"))


def accept(kiosk, clerk, outcome="accepted", **body):
    t = kiosk.issue("biz-setup", phone=PHONE).json()
    assert clerk.post("/windows/w03/call-next").json()["ticket"]["id"] == t["id"]
    r = clerk.post("/windows/w03/finish", json={"outcome": outcome, **body})
    assert r.status_code == 200, r.text
    return t, r.json()


def test_accept_step_by_step_to_pickup(hall, kiosk, clerk, approver, public, manager):
    _, out = accept(kiosk, clerk)
    slip = out["slip"]
    assert slip["code"].startswith("BJ") and slip["services"][0]["due_date"]
    assert slip["pickup_code"].startswith("OW1:P:") and "/m/" in slip["page_url"]
    mid = out["matters"][0]["id"]
    token = slip["page_url"].rsplit("/", 1)[1]

    # The approver's queue shows it, with the contact masked and no keys.
    q = approver.get("/matters").json()["matters"]
    assert [m["id"] for m in q] == [mid]
    assert q[0]["phone_masked"] == "139****5678" and PHONE not in str(q) and token not in str(q)
    # Steps: clerks may not approve; illegal moves are 409 with both languages.
    assert_error(clerk.post(f"/matters/{mid}/steps", json={"step": "approve"}), 403, "not_your_step")
    assert_error(approver.post(f"/matters/{mid}/steps", json={"step": "ready"}), 409, "bad_matter_step")
    assert_error(approver.post(f"/matters/{mid}/steps", json={"step": "reject"}), 422, "note_required")
    assert_error(approver.post(f"/matters/{mid}/steps", json={"step": "fly"}), 422)
    assert_error(public.get(f"/matters/{mid}"), 401)
    assert_error(kiosk.get("/matters"), 403)
    r = approver.post(f"/matters/{mid}/steps", json={"step": "approve", "note": "符合条件"})
    assert r.status_code == 200 and r.json()["state"] == "approved"

    # Not ready yet: the kiosk scan says when.
    err = assert_error(kiosk.post("/matters/scan", json={"code": slip["pickup_code"]}), 422, "matter_not_ready")
    assert "承诺" in err["message"]
    assert approver.post(f"/matters/{mid}/steps", json={"step": "ready"}).json()["state"] == "ready"

    # The citizen's page by its token: state, pickup QR; nothing by the code alone.
    page = public.get(f"/m/{token}").json()
    assert page["matters"][0]["state"] == "ready" and page["pickup_qr"].startswith("data:image/png")
    assert "staff_id" not in str(page) and PHONE not in str(page)
    assert_error(public.get("/m/" + "0" * 24), 404)
    assert_error(public.get(f"/m/{slip['code']}"), 404)

    # Scan at the kiosk: a 统一出件 ticket with the matter attached for the pickup clerk.
    scan = kiosk.post("/matters/scan", json={"code": slip["pickup_code"]}).json()
    assert scan["action"] == "ticket" and scan["ticket"]["service_id"] == "pickup"
    pick = Client(hall.url, hall.staff_token("c2", window_id="w15"))
    assert pick.post("/windows/w15/open").status_code == 200
    called = pick.post("/windows/w15/call-next").json()["ticket"]
    assert called["number"] == scan["ticket"]["number"]
    [attached] = pick.get(f"/tickets/{called['id']}/matters").json()
    assert attached["id"] == mid and attached["service_name_zh"] == "企业设立登记"
    assert_error(pick.post(f"/matters/{mid}/handover", json={"to_name": "张三", "by_proxy": True}), 422,
                 "proxy_note_required")
    h = pick.post(f"/matters/{mid}/handover", json={"to_name": "张三", "ticket_id": called["id"]})
    assert h.status_code == 200 and h.json()["state"] == "collected"
    assert pick.post("/windows/w15/finish", json={"outcome": "completed"}).status_code == 200

    rep = manager.get("/admin/matters/report").json()
    assert rep["total"]["matters"] == 1 and rep["total"]["visits_per_matter"] == 2
    rows = list(csv.reader(io.StringIO(manager.get("/admin/matters/report", params={"format": "csv"}).text.lstrip("\ufeff"))))
    assert rows[0][0] == "month" and any(r[1] == "biz-setup" for r in rows[1:])
    png = manager.get("/admin/matters/report.png")
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    assert_error(approver.get("/admin/matters/report"), 403)


def test_owed_materials_filed_at_the_kiosk_and_marked_supplied(hall, kiosk, clerk, approver, public):
    _, out = accept(kiosk, clerk, "accepted_pending", pending_materials=["住所使用证明"])
    mid = out["matters"][0]["id"]
    token = out["slip"]["page_url"].rsplit("/", 1)[1]
    assert out["slip"]["owed"] == ["住所使用证明"] and out["slip"]["owed_due"]
    assert public.get(f"/m/{token}").json()["matters"][0]["owed_open"] == ["住所使用证明"]
    filed = kiosk.post("/matters/scan", json={"code": out["slip"]["pickup_code"]}).json()
    assert filed["action"] == "filed" and "ticket" not in filed and "无需取号" in filed["message"]
    pick = Client(hall.url, hall.staff_token("c2", window_id="w15"))
    [row] = pick.get("/matters", params={"filed": "true"}).json()["matters"]
    assert row["id"] == mid
    assert_error(pick.post(f"/matters/{mid}/supplied", json={"material": "别的"}), 404, "not_owed")
    r = pick.post(f"/matters/{mid}/supplied", json={"material": "住所使用证明"})
    assert r.status_code == 200 and r.json()["owed_open"] == []
    assert public.get(f"/m/{token}").json()["matters"][0]["owed_open"] == []


def test_pages_are_served(hall, public):
    import httpx

    assert httpx.get(hall.url + "/backoffice").status_code == 200
    assert httpx.get(hall.url + "/m/" + "a" * 24).status_code == 200
    assert httpx.get(hall.url + "/m/bad!").status_code == 404


def test_theme_ticket_over_http_and_in_kiosk_config(hall, kiosk, public):
    choices = public.get("/kiosk-config").json()
    [theme] = choices["themes"]
    assert theme["id"] == "newborn" and theme["ticket_service"] == "health-birth" and len(theme["materials"]) >= 3
    key = uuid.uuid4().hex
    r = kiosk.post("/themes/newborn/tickets", json={}, headers={"Idempotency-Key": key})
    assert r.status_code == 201 and r.json()["service_id"] == "health-birth" and r.json()["number"].startswith("R")
    assert kiosk.post("/themes/newborn/tickets", json={}, headers={"Idempotency-Key": key}).status_code == 200
    assert_error(kiosk.post("/themes/nope/tickets", json={}, headers={"Idempotency-Key": uuid.uuid4().hex}), 404)
    assert_error(public.post("/themes/newborn/tickets", json={}, headers={"Idempotency-Key": uuid.uuid4().hex}), 401)


def test_report_dates_that_do_not_exist_are_a_clear_refusal(manager):
    assert_error(manager.get("/admin/matters/report", params={"to": "2026-13-45"}), 422, "bad_date")
    assert_error(manager.get("/admin/matters/report.png", params={"from": "2026-02-30"}), 422, "bad_date")
    assert_error(manager.get("/admin/matters/report", params={"from": "2026-12-01", "to": "2026-11-01"}), 422,
                 "bad_range")


def test_only_the_accepting_clerk_or_a_manager_gets_the_slip_with_its_pickup_code(hall, kiosk, clerk, manager):
    _, out = accept(kiosk, clerk)
    mid, code = out["matters"][0]["id"], out["slip"]["pickup_code"]
    other = Client(hall.url, hall.staff_token("c2", window_id="w05"))
    err = assert_error(other.get(f"/matters/{mid}/slip"), 403, "not_your_slip")
    assert "主任" in err["message"] and code not in str(err)
    assert_error(other.post(f"/matters/{mid}/print-slip"), 403, "not_your_slip")
    assert clerk.get(f"/matters/{mid}/slip").json()["pickup_code"] == code
    assert manager.get(f"/matters/{mid}/slip").json()["pickup_code"] == code     # a reprint
