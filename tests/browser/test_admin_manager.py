"""The manager's office in headless Chromium: a 差评 becomes a case worked to closure, a refusal is
reviewed, a configuration change is validated and takes effect, reports and advice render."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hallserver import HallServer, RunningClock  # noqa: E402

TUESDAY_10AM = dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
PIN = "135790"


class ShiftClock(RunningClock):
    """Real time from a pinned start, which a test may move forward by days."""

    def shift(self, seconds: float) -> None:
        self.start += seconds


@pytest.fixture
def hall(tmp_path):
    clock = ShiftClock(TUESDAY_10AM)
    with HallServer(tmp_path, clock=clock) as server:
        server.clock = clock
        server.add_staff("m1", "王主任", "manager", PIN)
        yield server


def api(hall, token):
    return httpx.Client(base_url=hall.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=20)


def serve_one(hall, kiosk, clerk, service_id="biz-setup") -> dict:
    t = kiosk.post("/tickets", json={"service_id": service_id}, headers={"Idempotency-Key": uuid.uuid4().hex}).json()
    assert clerk.post("/windows/w03/call-next").status_code == 200
    assert clerk.post("/windows/w03/start").status_code == 200
    return t


def sign_in(page, hall, tab="live"):
    page.goto(f"{hall.url}/admin/{tab}")
    page.fill("#staff-id", "m1")
    page.fill("#pin", PIN)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector(f"#page-{tab}:not(.hidden)")
    page.wait_for_selector("#live-mark:not(.off)")


def test_bad_review_on_the_ticket_page_becomes_a_case_worked_to_closure(hall, new_page, shots_dir):
    kiosk = api(hall, hall.device_token("kiosk", "kiosk-1"))
    clerk = api(hall, hall.staff_token("c1", window_id="w03", name="张晓明"))
    clerk.post("/windows/w03/open")
    t = serve_one(hall, kiosk, clerk)
    assert clerk.post("/windows/w03/finish", json={"outcome": "completed"}).status_code == 200

    phone = new_page(viewport=(390, 844), mobile=True)
    phone.goto(t["status_url"])
    phone.wait_for_selector("#rate:not(.hidden)")
    phone.click(".level[data-level='2']")
    phone.locator(".reason", has_text="服务态度不好").click()
    phone.click("#rate-submit")
    phone.wait_for_selector("#rated:not(.hidden)")

    # Two days later (Thursday) the revisit date (Wednesday) has passed: the case is overdue.
    hall.clock.shift(2 * 86400)
    page = new_page()
    sign_in(page, hall, "cases")
    row = page.locator("#case-table tr[data-case]", has_text=t["number"])
    row.wait_for()
    assert "overdue" in row.get_attribute("class")
    assert "服务态度不好" in row.inner_text() and "已超期" in row.inner_text()
    assert "超期" in page.locator("#badge-cases").inner_text()
    page.screenshot(path=str(shots_dir / "admin-cases.png"), full_page=True)

    row.click()
    page.wait_for_selector("#case-detail:not(.hidden) #case-step")
    assert "3号窗口" in page.locator("#case-detail").inner_text()
    for step, note in (("contact", "已电话联系群众，核实情况"), ("verify", "情况属实"),
                       ("rectify", "已对窗口人员批评教育并培训"), ("revisit", "回访群众，表示满意"),
                       ("close", "办结")):
        page.select_option("#case-step", step)
        page.fill("#case-note", note)
        page.click("#case-go")
        page.locator("#case-detail .steps li", has_text=note).wait_for()
        page.wait_for_selector("#case-msg.ok")
    detail = page.locator("#case-detail").inner_text()
    assert "已办结" in detail and "王主任" in detail
    page.screenshot(path=str(shots_dir / "admin-case-closed.png"), full_page=True)
    # it left the open board and the overdue list
    assert page.locator("#case-table tr[data-case]", has_text=t["number"]).count() == 0
    page.select_option("#case-filter", "overdue")
    page.wait_for_selector("#case-table td.empty")
    page.select_option("#case-filter", "closed")
    page.locator("#case-table tr[data-case]", has_text=t["number"]).wait_for()


def test_refusal_review_and_a_configuration_change_from_the_pages(hall, new_page, shots_dir):
    kiosk = api(hall, hall.device_token("kiosk", "kiosk-1"))
    clerk = api(hall, hall.staff_token("c1", window_id="w03", name="张晓明"))
    clerk.post("/windows/w03/open")
    serve_one(hall, kiosk, clerk)
    page = new_page()
    sign_in(page, hall, "refusals")
    page.wait_for_selector("#ref-table td.empty")
    # a refusal made while the page is open arrives through the event stream
    r = clerk.post("/windows/w03/refuse", json={"kind": "missing_materials", "materials": ["公司章程", "股东主体资格证明"],
                                                 "text": "材料不全，已出具一次性告知单"})
    assert r.status_code in (200, 201), r.text
    row = page.locator("#ref-table tr", has_text="公司章程")
    row.wait_for(timeout=5000)
    text = row.inner_text()
    assert "3号" in text and "张晓明" in text and "企业设立登记" in text and "材料不全" in text
    assert "1" in page.locator("#ref-kinds").inner_text()
    page.screenshot(path=str(shots_dir / "admin-refusals.png"), full_page=True)
    row.locator("button[data-decision=confirmed]").click()
    page.locator("#ref-table tr", has_text="公司章程").locator(".pill", has_text="已确认").wait_for()

    # configuration: a bad cap is refused with a clear message; a good one takes effect
    page.click("#tabs a[data-tab=config]")
    page.wait_for_selector("#config-form input[data-k=daily_cap]")
    cap = page.locator("#config-form input[data-i='1'][data-k=daily_cap]")
    cap.fill("0")
    page.click("#config-save")
    page.wait_for_selector("#config-msg:not(.hidden):not(.ok)")
    msg = page.locator("#config-msg").inner_text()
    assert "配置无效" in msg and "不能小于 1" in msg and "daily_cap" in msg
    page.screenshot(path=str(shots_dir / "admin-config-error.png"), full_page=False)
    cap.fill("2")
    page.fill("#config-note", "窗口人手不足，临时限号")
    page.click("#config-save")
    page.wait_for_selector("#config-msg.ok")
    assert page.locator("#config-local").is_visible()
    assert "services[biz-change].daily_cap" in page.locator("#config-audit").inner_text()
    page.screenshot(path=str(shots_dir / "admin-config.png"), full_page=True)
    public = httpx.get(hall.url + "/api/v1/services").json()
    assert next(s for s in public if s["id"] == "biz-change")["daily_cap"] == 2
    # a window's work profile: an unknown service is named in the message
    page.click("#config-sections button[data-section=windows]")
    page.wait_for_selector("#config-form input[data-k=services]")
    page.fill("#config-form input[data-i='2'][data-k=services]", "biz-setup, biz-nope")
    page.click("#config-save")
    page.wait_for_selector("#config-msg:not(.hidden):not(.ok)")
    assert "未知的业务：biz-nope" in page.locator("#config-msg").inner_text()
    page.fill("#config-form input[data-i='2'][data-k=services]", "biz-setup, biz-change")
    page.select_option("#config-form select[data-i='2'][data-k=mode]", "order")
    page.click("#config-save")
    page.wait_for_selector("#config-msg.ok")
    w03 = hall.engine.config.window("w03")
    assert (w03.services, w03.mode) == (["biz-setup", "biz-change"], "order")
    # any section can also be edited as JSON, with the same validation
    page.click("#config-sections button[data-section=green_channel]")
    page.wait_for_selector("#config-form input[data-k=zh]")
    page.click("#config-json-box summary")
    page.wait_for_selector("#config-json-box[open]")
    page.fill("#config-json", "{\"reasons\": [")
    page.click("#config-save")
    page.wait_for_selector("#config-msg:not(.hidden):not(.ok)")
    assert "JSON 格式错误" in page.locator("#config-msg").inner_text()
    page.fill("#config-json", '{"reasons": [{"id": "elderly", "zh": "老年人", "en": "Senior"},'
                              ' {"id": "soldier", "zh": "现役军人", "en": "Serving soldier"}]}')
    page.click("#config-save")
    page.wait_for_selector("#config-msg.ok")
    with hall.store.read() as db:
        assert db.execute("SELECT COUNT(*) FROM config_local_layer").fetchone()[0] == 3
    assert [r.id for r in hall.engine.config.green_channel.reasons] == ["elderly", "soldier"]
    for _ in range(2):
        assert kiosk.post("/tickets", json={"service_id": "biz-change"},
                          headers={"Idempotency-Key": uuid.uuid4().hex}).status_code == 201
    third = kiosk.post("/tickets", json={"service_id": "biz-change"}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert third.status_code == 422


def test_live_reports_advice_and_print_pages_render(hall, new_page, shots_dir):
    kiosk = api(hall, hall.device_token("kiosk", "kiosk-1"))
    clerk = api(hall, hall.staff_token("c1", window_id="w03", name="张晓明"))
    clerk.post("/windows/w03/open")
    for _ in range(3):
        serve_one(hall, kiosk, clerk)
        clerk.post("/windows/w03/finish", json={"outcome": "completed"})
    kiosk.post("/tickets", json={"service_id": "biz-seal"}, headers={"Idempotency-Key": uuid.uuid4().hex})
    kiosk.post("/help-requests", json={"note": "老人需要帮助"})
    page = new_page()
    sign_in(page, hall, "live")
    page.wait_for_selector("#live-windows .win")
    assert "kiosk-1" in page.locator("#live-help").inner_text()
    assert "印章刻制备案" in page.locator("#live-services").inner_text()
    # a new ticket shows up without reloading
    kiosk.post("/tickets", json={"service_id": "biz-seal"}, headers={"Idempotency-Key": uuid.uuid4().hex})
    page.wait_for_function("document.querySelector('#live-cards .value').textContent === '2'", timeout=5000)
    page.screenshot(path=str(shots_dir / "admin-live.png"), full_page=True)

    page.click("#tabs a[data-tab=reports]")
    page.wait_for_function("[...document.querySelectorAll('#rep-plots img')].length === 3 && "
                           "[...document.querySelectorAll('#rep-plots img')].every(i => i.complete && i.naturalWidth > 300)",
                           timeout=15000)
    assert "企业设立登记" in page.locator("#rep-tables table[data-table=services]").inner_text()
    with page.expect_download() as dl:
        page.click("button[data-csv=services]")
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "业务 Service" and any(r[0] == "企业设立登记" and r[1] == "3" for r in rows[1:])
    page.screenshot(path=str(shots_dir / "admin-reports.png"), full_page=True)

    page.click("#tabs a[data-tab=advice]")
    page.wait_for_selector("#adv-body .panel")
    assert "五减" in page.locator("#adv-body").inner_text()
    page.screenshot(path=str(shots_dir / "admin-advice.png"), full_page=True)

    page.goto(hall.url + "/admin/print")
    page.wait_for_function("document.querySelectorAll('#print-plots img').length === 3 && "
                           "[...document.querySelectorAll('#print-plots img')].every(i => i.complete && i.naturalWidth > 300)",
                           timeout=15000)
    assert "服务日报" in page.locator("#print-body h1").inner_text()
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()
    page.screenshot(path=str(shots_dir / "admin-print.png"), full_page=True)


def test_a_clerk_cannot_use_the_manager_pages(hall, new_page):
    hall.add_staff("c9", "赵六", "clerk", "246810")
    page = new_page()
    page.goto(hall.url + "/admin")
    page.fill("#staff-id", "c9")
    page.fill("#pin", "246810")
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#status:not(.hidden)")
    assert "大厅负责人" in page.locator("#status").inner_text()
    assert page.locator("#tabs").is_hidden()
