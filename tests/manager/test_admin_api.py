"""/api/v1/admin over real HTTP on a loopback hall node: access, cases, refusals, config, reports."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hallserver import HallServer  # noqa: E402


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    with HallServer(tmp_path_factory.mktemp("hall")) as server:
        yield server


def client(hall, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=hall.url, headers=headers, timeout=20)


@pytest.fixture(scope="module")
def mgr(hall):
    return client(hall, hall.staff_token("m1", role="manager", name="王主任"))


@pytest.fixture(scope="module")
def clerk(hall):
    c = client(hall, hall.staff_token("c1", window_id="w03"))
    assert c.post("/api/v1/windows/w03/open").status_code == 200
    return c


@pytest.fixture(scope="module")
def kiosk(hall):
    return client(hall, hall.device_token("kiosk", "kiosk-1"))


def issue(kiosk, service_id="biz-setup"):
    r = kiosk.post("/api/v1/tickets", json={"service_id": service_id}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return r.json()


def rate(base, token, level, reasons):
    """A citizen's rating through the public endpoint (which is rate limited per address)."""
    for _ in range(20):
        r = httpx.post(f"{base}/api/v1/ratings", json={"token": token, "level": level, "reasons": reasons})
        if r.status_code != 429:
            return r
        time.sleep(float(r.headers.get("retry-after", "1")))
    return r


def serve(clerk, kiosk, service_id="biz-setup"):
    """Issue a ticket and bring it to window 3 (serving whoever was ahead of it first)."""
    t = issue(kiosk, service_id)
    for _ in range(20):
        r = clerk.post("/api/v1/windows/w03/call-next")
        assert r.status_code == 200, r.text
        assert clerk.post("/api/v1/windows/w03/start").status_code == 200
        if r.json()["ticket"]["id"] == t["id"]:
            return t
        assert clerk.post("/api/v1/windows/w03/finish", json={"outcome": "completed"}).status_code == 200
    raise AssertionError("the ticket was never called")


def test_only_a_signed_in_manager_gets_in(hall, clerk):
    anon = client(hall)
    for path in ("/api/v1/admin/live", "/api/v1/admin/cases", "/api/v1/admin/reports", "/api/v1/admin/config"):
        assert anon.get(path).status_code == 401
        r = clerk.get(path)
        assert r.status_code == 403 and r.json()["error"]["message"]
    page = anon.get("/admin/cases")
    assert page.status_code == 200 and "大厅负责人登录" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_bad_rating_case_worked_to_closure_over_http(hall, mgr, clerk, kiosk):
    t = serve(clerk, kiosk)
    assert clerk.post("/api/v1/windows/w03/finish", json={"outcome": "completed"}).status_code == 200
    r = rate(hall.url, t["token"], 1, ["推诿扯皮"])
    assert r.status_code == 201 and r.json()["case_opened"]
    board = mgr.get("/api/v1/admin/cases").json()
    case = next(c for c in board["cases"] if c["ticket_number"] == t["number"])
    assert case["rating"]["level"] == 1 and case["window_number"] == 3 and case["next_due"] == case["revisit_due"]
    cid = case["id"]
    # a case cannot close without a revisit
    r = mgr.post(f"/api/v1/admin/cases/{cid}/advance", json={"step": "close", "note": "结"})
    assert r.status_code == 409 and "办结" in r.json()["error"]["message"]
    for step, note in (("contact", "电话联系群众，核实情况"), ("verify", "情况属实"), ("rectify", "窗口人员已批评教育")):
        assert mgr.post(f"/api/v1/admin/cases/{cid}/advance", json={"step": step, "note": note}).status_code == 200
    # the revisit needs its note, and close is refused until there is one
    r = mgr.post(f"/api/v1/admin/cases/{cid}/advance", json={"step": "revisit", "note": " "})
    assert r.status_code == 422 and "说明" in r.json()["error"]["message"]
    assert mgr.post(f"/api/v1/admin/cases/{cid}/advance", json={"step": "close", "note": "结"}).status_code == 409
    for step, note in (("revisit", "回访群众表示满意"), ("close", "办结")):
        r = mgr.post(f"/api/v1/admin/cases/{cid}/advance", json={"step": step, "note": note})
        assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["state"] == "closed" and [s["step"] for s in detail["steps"]] == \
        ["contact", "verify", "rectify", "revisit", "close"]
    assert all(s["staff_id"] == "m1" and s["staff_name"] == "王主任" for s in detail["steps"])
    assert cid not in [c["id"] for c in mgr.get("/api/v1/admin/cases").json()["cases"]]
    assert cid in [c["id"] for c in mgr.get("/api/v1/admin/cases?state=closed").json()["cases"]]


def test_adopted_suggestion_marks_a_woodpecker(mgr, kiosk):
    r = kiosk.post("/api/v1/complaints", json={"category": "suggestion", "kind": "suggestion",
                                               "text": "建议增加老年人专座", "phone": "13812345678"})
    code = r.json()["code"]
    case = next(c for c in mgr.get("/api/v1/admin/cases").json()["cases"]
                if c.get("complaint", {}).get("code") == code)
    assert case["complaint"]["phone"] == "138****5678"
    r = mgr.post(f"/api/v1/admin/complaints/{case['complaint_id']}/adopt")
    assert r.json() == {"code": code, "adopted": True}
    assert mgr.get(f"/api/v1/admin/cases/{case['id']}").json()["complaint"]["adopted"] == 1


def test_refusal_reported_reviewed_and_counted(mgr, clerk, kiosk):
    serve(clerk, kiosk)
    r = clerk.post("/api/v1/windows/w03/refuse", json={"kind": "missing_materials", "materials": ["公司章程"],
                                                        "text": "缺章程"})
    assert r.status_code in (200, 201), r.text
    rep = mgr.get("/api/v1/admin/refusals").json()
    row = next(x for x in rep["refusals"] if x["materials"] == ["公司章程"])
    assert (row["window_number"], row["kind_zh"], row["service"], row["review_state"]) == \
        (3, "材料不全（一次性告知）", "企业设立登记", "new")
    assert {"kind": "missing_materials", "kind_zh": "材料不全（一次性告知）", "count": 1} in rep["by_kind"]
    assert mgr.get("/api/v1/admin/live").json()["refusals_to_review"] >= 1
    r = mgr.post(f"/api/v1/admin/refusals/{row['id']}/review", json={"decision": "follow_up", "note": "核实是否可容缺"})
    assert r.json()["review_state"] == "follow_up"
    r = mgr.post(f"/api/v1/admin/refusals/{row['id']}/review", json={"decision": "maybe"})
    assert r.status_code == 422


def test_config_edit_validated_applied_and_audited(hall, mgr, kiosk):
    cfg = mgr.get("/api/v1/admin/config").json()
    services = next(s for s in cfg["sections"] if s["id"] == "services")
    assert not services["local"]
    value = [dict(s) for s in services["value"]]
    value[1]["daily_cap"] = 0
    r = mgr.put("/api/v1/admin/config/services", json={"value": value})
    err = r.json()["error"]
    assert r.status_code == 422 and "不能小于 1" in err["message"]
    assert f"services[{value[1]['id']}].daily_cap" in err["message_en"]
    assert f"{value[1]['name_zh']} · 每日号源上限" in err["message"]
    value[1]["daily_cap"] = 2
    r = mgr.put("/api/v1/admin/config/services", json={"value": value, "note": "限号"})
    assert r.status_code == 200, r.text
    public = httpx.get(hall.url + "/api/v1/services").json()
    assert next(s for s in public if s["id"] == value[1]["id"])["daily_cap"] == 2
    issue(kiosk, value[1]["id"])
    issue(kiosk, value[1]["id"])
    third = kiosk.post("/api/v1/tickets", json={"service_id": value[1]["id"]},
                       headers={"Idempotency-Key": uuid.uuid4().hex})
    assert third.status_code == 422 and "号源已满" in third.json()["error"]["message"]
    cfg = mgr.get("/api/v1/admin/config").json()
    assert next(s for s in cfg["sections"] if s["id"] == "services")["local"] is True
    audit = mgr.get("/api/v1/admin/config/audit").json()
    assert audit[0]["staff_id"] == "m1" and audit[0]["changes"][0]["after"] == 2
    assert mgr.delete("/api/v1/admin/config/services").status_code == 200
    public = httpx.get(hall.url + "/api/v1/services").json()
    assert next(s for s in public if s["id"] == value[1]["id"])["daily_cap"] != 2


def test_reports_csv_plots_and_advice(mgr):
    rep = mgr.get("/api/v1/admin/reports?period=day").json()
    assert rep["totals"]["tickets_issued"] >= 1 and {t["id"] for t in rep["tables"]} >= {"services", "windows", "clerks"}
    for period in ("week", "month"):
        assert mgr.get(f"/api/v1/admin/reports?period={period}").json()["start"] <= rep["start"]
    r = mgr.get("/api/v1/admin/reports/csv?table=services&period=day")
    assert r.headers["content-type"].startswith("text/csv") and "企业设立登记" in r.text
    assert mgr.get("/api/v1/admin/reports/csv?table=nope").status_code == 404
    png = mgr.get("/api/v1/admin/reports/plot/ratings.png?period=week")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    svg = mgr.get("/api/v1/admin/reports/plot/hours.svg")
    assert svg.headers["content-type"].startswith("image/svg") and b"<svg" in svg.content
    bad = mgr.get("/api/v1/admin/reports?date=2026-13-45")
    assert bad.status_code == 422 and "没有这一天" in bad.json()["error"]["message"]
    adv = mgr.get("/api/v1/admin/advice?period=month").json()
    assert set(adv) >= {"staffing", "bad_ratings", "materials", "five_reductions", "previous"}
    assert any(r["service_id"] == "biz-setup" for r in adv["five_reductions"])
    assert any(m["material"] == "公司章程" for m in adv["materials"])


def test_an_upheld_appeal_takes_the_mistaken_review_out_of_the_figures(hall, mgr, clerk, kiosk):
    t = serve(clerk, kiosk)
    assert clerk.post("/api/v1/windows/w03/finish", json={"outcome": "completed"}).status_code == 200
    before = mgr.get("/api/v1/admin/reports?period=day").json()["ratings"]
    assert rate(hall.url, t["token"], 1, ["办不成事"]).status_code == 201
    during = mgr.get("/api/v1/admin/reports?period=day").json()["ratings"]
    assert during["count"] == before["count"] + 1 and during["by_level"]["1"] == before["by_level"]["1"] + 1
    case = next(c for c in mgr.get("/api/v1/admin/cases").json()["cases"] if c.get("ticket_number") == t["number"])
    for step, note in (("appeal", "监控显示已一次办结，群众误评"), ("appeal_upheld", "复核成立")):
        r = mgr.post(f"/api/v1/admin/cases/{case['id']}/advance", json={"step": step, "note": note})
        assert r.status_code == 200, r.text
    assert r.json()["state"] == "closed" and r.json()["rating"]["excluded"] == 1
    after = mgr.get("/api/v1/admin/reports?period=day").json()["ratings"]
    assert after["count"] == before["count"] and after["excluded"] == before["excluded"] + 1
    assert after["by_level"] == before["by_level"]


def test_report_is_recomputed_after_a_new_event(mgr, kiosk):
    before = mgr.get("/api/v1/admin/reports?period=day").json()["totals"]["tickets_issued"]
    assert mgr.get("/api/v1/admin/reports?period=day").json()["totals"]["tickets_issued"] == before
    issue(kiosk, "biz-seal")
    assert mgr.get("/api/v1/admin/reports?period=day").json()["totals"]["tickets_issued"] == before + 1
    live = mgr.get("/api/v1/admin/live").json()
    assert live["cases_overdue"] == 0 and live["timezone"] == "Asia/Shanghai"
