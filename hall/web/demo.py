"""Demo stage: the manager's pages in headless Chromium, screenshots into <out>/admin/.

Runs after hall.api.demo has started the hall node (ctx.hall_url) on the database that
hall.demo filled with a simulated business day. The manager signs in through the page, and
every admin page is captured, plus the day's plots, CSV tables and the printable daily report
as a PDF.
"""

from __future__ import annotations

import logging
import shutil

log = logging.getLogger(__name__)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def _manager_credentials(ctx) -> tuple[str, str]:
    staff = (ctx.summary.get("hall_api") or {}).get("staff") or {}
    try:
        from hall.api.demo import DEMO_PIN
    except ImportError:  # pragma: no cover - depends on the checkout
        DEMO_PIN = "246810"  # noqa: N806
    return staff.get("manager", "m1"), DEMO_PIN


def run(ctx) -> None:
    if not ctx.hall_url:
        raise RuntimeError("the hall server is not running (hall.api.demo stage did not start it)")
    import httpx
    from playwright.sync_api import sync_playwright

    staff_id, pin = _manager_credentials(ctx)
    day = (ctx.summary.get("day") or {}).get("business_date")
    r = httpx.post(ctx.hall_url + "/api/v1/session", json={"staff_id": staff_id, "pin": pin}, timeout=10)
    r.raise_for_status()
    api = httpx.Client(base_url=ctx.hall_url + "/api/v1/admin",
                       headers={"Authorization": f"Bearer {r.json()['token']}"}, timeout=60)
    saved: list[str] = []
    q = f"period=day&date={day}" if day else "period=day"

    # The day's plots and every table as CSV, straight from the API.
    report = api.get("/reports?" + q)
    report.raise_for_status()
    report = report.json()
    for name in report["plots"]:
        for fmt in ("png", "svg"):
            p = ctx.path("admin", "plots", f"{name}.{fmt}")
            resp = api.get(f"/reports/plot/{name}.{fmt}?{q}")
            resp.raise_for_status()
            p.write_bytes(resp.content)
            saved.append(str(p.relative_to(ctx.out)))
    for table in report["tables"]:
        p = ctx.path("admin", "csv", f"{table['id']}_{report['start']}.csv")
        resp = api.get(f"/reports/csv?table={table['id']}&{q}")
        resp.raise_for_status()
        p.write_bytes(resp.content)
        saved.append(str(p.relative_to(ctx.out)))
    advice = api.get("/advice?period=month" + (f"&date={day}" if day else "")).json()

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()

            def shot(name: str, full: bool = True) -> None:
                p = ctx.path("admin", name)
                page.screenshot(path=str(p), full_page=full)
                saved.append(str(p.relative_to(ctx.out)))

            page.goto(ctx.hall_url + "/admin/live")
            page.fill("#staff-id", staff_id)
            page.fill("#pin", pin)
            page.click("#signin-form button[type=submit]")
            page.wait_for_selector("#page-live:not(.hidden) #live-windows .win")
            shot("live.png")

            page.click("#tabs a[data-tab=cases]")
            page.wait_for_selector("#case-table tr")
            shot("cases.png")
            first = page.locator("#case-table tr[data-case]").first
            if first.count():
                first.click()
                page.wait_for_selector("#case-detail:not(.hidden)")
                shot("case-detail.png")

            page.click("#tabs a[data-tab=refusals]")
            page.wait_for_selector("#ref-table tr")
            if day:
                page.fill("#ref-start", day)
                page.click("#ref-load")
                page.wait_for_timeout(500)
            shot("refusals.png")

            page.click("#tabs a[data-tab=config]")
            page.wait_for_selector("#config-form input[data-k=daily_cap]")
            shot("config.png", full=False)
            # what a bad value looks like: refused with a message, nothing changed
            page.locator("#config-form input[data-k=daily_cap]").first.fill("0")
            page.click("#config-save")
            page.wait_for_selector("#config-msg:not(.hidden):not(.ok)")
            page.locator("#config-msg").scroll_into_view_if_needed()
            shot("config-error.png", full=False)

            page.goto(ctx.hall_url + "/admin/reports" + (f"?date={day}" if day else ""))
            page.wait_for_selector("#rep-plots img[src^='data:']")
            page.wait_for_timeout(800)
            shot("reports-day.png")
            page.select_option("#rep-period", "month")
            page.wait_for_selector("#rep-plots img[data-plot=days][src^='data:']", timeout=20000)
            page.wait_for_timeout(800)
            shot("reports-month.png")

            page.goto(ctx.hall_url + "/admin/advice" + (f"?date={day}" if day else ""))
            page.wait_for_selector("#adv-body .panel")
            shot("advice.png")

            page.goto(ctx.hall_url + "/admin/print" + (f"?date={day}" if day else ""))
            page.wait_for_selector("#print-plots img[src^='data:']")
            page.wait_for_timeout(800)
            page.emulate_media(media="print")
            shot("print.png")
            pdf = ctx.path("admin", "daily-report.pdf")
            page.pdf(path=str(pdf), format="A4", print_background=True)
            saved.append(str(pdf.relative_to(ctx.out)))
        finally:
            browser.close()
    ctx.summary["manager"] = {
        "report_day": report["start"], "totals": report["totals"], "ratings": report["ratings"],
        "advice": {"staffing": len(advice.get("staffing", [])), "bad_ratings": len(advice.get("bad_ratings", [])),
                   "materials": len(advice.get("materials", []))},
        "files": saved,
    }
