"""The wait estimate follows the open windows' real profiles (hall/estimate.py)."""

from __future__ import annotations

import pytest


def issue(engine, service, **kw):
    return engine.issue_ticket(service, **kw)[0]


def test_a_shared_window_counts_the_other_service_ahead(engine, open_window, clock):
    # The reported case: one clerk at a window serving two services (w03 serves biz-change
    # and tax-invoice, fifo); five biz-change waiting; tax-invoice's first ticket is sixth.
    w = open_window("w03")
    for _ in range(5):
        issue(engine, "biz-change")
        clock.advance(30)
    gx = issue(engine, "tax-invoice")
    assert gx["ahead_at_issue"] == 5
    assert gx["eta_at_issue"] >= 5 * 8          # five services of about 8 minutes, one window
    order = []
    for _ in range(6):
        t = engine.call_next(w)
        order.append(t["number"])
        engine.finish(w, "completed")
    assert order.index(gx["number"]) == 5        # called sixth, as the estimate said


def test_two_windows_share_the_work(engine, open_window, clock):
    open_window("w03", "c1")
    open_window("w04", "c2")
    for _ in range(6):
        issue(engine, "biz-setup")
        clock.advance(10)
    t = issue(engine, "biz-setup")
    assert t["ahead_at_issue"] == 6
    one = engine.services_overview()
    eta_two = {s["id"]: s for s in one}["biz-setup"]["eta_minutes"]
    engine.sign_out("w04")
    eta_one = {s["id"]: s for s in engine.services_overview()}["biz-setup"]["eta_minutes"]
    assert eta_one == pytest.approx(2 * eta_two, rel=0.15)


def test_an_order_window_serves_its_first_service_first(engine, open_window, clock):
    # w05 (order): tax-invoice, tax-return, biz-seal. A biz-seal ticket waits for every
    # tax ticket, even ones that came after it.
    w = open_window("w05")
    seal = issue(engine, "biz-seal")
    clock.advance(10)
    for _ in range(3):
        issue(engine, "tax-invoice")
    view = engine.public_ticket(seal)
    assert view["ahead"] == 3
    assert [engine.call_next(w)["service_id"] for _ in range(1)] == ["tax-invoice"]


def test_no_open_window_says_so_before_issuing(engine, open_window):
    open_window("w03")
    overview = {s["id"]: s for s in engine.services_overview()}
    assert overview["biz-setup"]["no_window"] is False and overview["biz-setup"]["eta_minutes"] == 0
    assert overview["cons-permit"]["no_window"] is True and overview["cons-permit"]["eta_minutes"] is None
    t = issue(engine, "cons-permit")
    assert t["eta_at_issue"] is None
    view = engine.public_ticket(t)
    assert view["no_window"] is True and view["eta_minutes"] is None
    # the hall opens at 08:30; at 09:00 no opening time is known
    assert view["opens_at"] is None


def test_before_opening_the_no_window_note_names_the_opening_time(engine, clock):
    import datetime as dt

    clock.set(dt.datetime(2026, 11, 30, 8, 0, tzinfo=engine.tz).timestamp())   # Monday 08:00
    overview = {s["id"]: s for s in engine.services_overview()}
    assert overview["biz-setup"]["no_window"] is True and overview["biz-setup"]["opens_at"] == "08:30"
