"""Demo stage of sync: a reference central on a free port receives the demo hall's whole day."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from pathlib import Path

from central import booking
from central.server import CentralServer
from hall.config import load_config
from sync import hallside, signing
from sync.client import CentralClient
from sync.runner import Syncer

log = logging.getLogger(__name__)


def run(ctx) -> None:
    cfg = load_config(ctx.config_path)
    logging.getLogger("httpx").setLevel(logging.WARNING)   # one line per batch is noise here
    hall_id = cfg.hall.id
    # A fresh central each run: the hall's database is new too (a reused central would refuse
    # the new hall's events as a reset hall, which is what it is for).
    central_db = ctx.path("sync", "central.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(central_db) + suffix).unlink(missing_ok=True)
    central = CentralServer(f"sqlite:///{central_db}").start()
    ctx.exit_stack.callback(central.stop)
    secret = signing.new_secret()
    central.db.add_hall(hall_id, cfg.hall.name_zh, secret)
    version = central.db.push_config(hall_id, ctx.config_path.read_text(encoding="utf-8"))

    conn = hallside.open_hall_db(ctx.db_path)
    ctx.exit_stack.callback(conn.close)
    client = CentralClient(central.url, hall_id, secret)
    ctx.exit_stack.callback(client.close)
    # Push only: the demo hall's engine belongs to the hall stage; pulling would write through
    # a second engine on the same database.
    syncer = Syncer(conn, client, batch_size=cfg.sync.batch_size)
    events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    started = time.perf_counter()
    syncer.push_all()
    seconds = time.perf_counter() - started
    count, digest = central.db.event_digest(hall_id)
    hall_count = conn.execute("SELECT COUNT(*) FROM events WHERE seq <= ?",
                              (hallside.cursor(conn),)).fetchone()[0]
    summary = next(h for h in _summary(central) if h["hall"] == hall_id)
    ctx.path("sync", "central-summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")

    booked = None
    offer = booking.hall_offer(central.db, hall_id)
    if offer and offer.services and offer.open_days():
        day = offer.open_days()[-1]
        booked = booking.book(central.db, hall_id=hall_id, service_id=offer.services[0]["id"],
                              date=day.isoformat(), slot=booking.slots(offer)[0][0], name="王小明",
                              id_number="110101199003071234", phone="13812345678")
    shots = _screenshots(ctx, central.url, hall_id) if booked else []
    ctx.summary["sync"] = {
        "central_url": central.url, "config_version": version, "hall_events": events,
        "uploaded": count, "acknowledged_upto": hallside.cursor(conn),
        "central_equals_hall": count == hall_count, "digest": digest[:16],
        "upload_seconds": round(seconds, 2),
        "events_per_second": round(count / seconds) if seconds > 0 else None,
        "central_summary": {k: summary[k] for k in ("tickets", "wait_avg_minutes", "ratings",
                                                    "bad_ratings", "complaints", "refusals",
                                                    "cases_open", "cases_overdue")},
        "booking_code": booked["code"] if booked else None, "screenshots": shots,
        "at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    if count != hall_count:
        raise RuntimeError(f"central holds {count} events, hall acknowledged {hall_count}")


def _summary(central) -> list[dict]:
    from central.summary import hall_summaries

    return hall_summaries(central.db)["halls"]


def _screenshots(ctx, url: str, hall_id: str) -> list[str]:
    """The booking page, a booking made on it, and the all-halls summary, in headless Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    out = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-background-networking", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{url}/book?hall={hall_id}")
            page.screenshot(path=str(ctx.path("sync", "booking-page.png")), full_page=True)
            page.locator("label.opt").nth(1).click()
            # Tomorrow: today's earlier slots have begun (the page lists every slot of the
            # day and refuses one already started, with a message).
            page.select_option("select[name=date]", index=1)
            page.fill("input[name=name]", "李华")
            page.fill("input[name=id_number]", "110101198805052345")
            page.fill("input[name=phone]", "13900001111")
            page.get_by_role("button", name=re.compile("提交预约")).click()
            page.wait_for_selector("#code")
            page.screenshot(path=str(ctx.path("sync", "booking-done.png")), full_page=True)
            page.set_viewport_size({"width": 1280, "height": 480})
            page.goto(f"{url}/summary")
            page.screenshot(path=str(ctx.path("sync", "central-summary.png")))
            browser.close()
        out = ["sync/booking-page.png", "sync/booking-done.png", "sync/central-summary.png"]
    except Exception as exc:  # screenshots are a bonus; the upload figures are the stage
        log.warning("sync demo screenshots failed: %s", exc)
    return out
