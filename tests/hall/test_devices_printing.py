"""Commit first, print second: a real engine and the printer simulator; paper-out loses nothing."""

from __future__ import annotations

import pytest
import zxingcpp

from drivers.printer import PrintError, open_printer
from drivers.printer.render import render_escpos
from drivers.sim.printer import PrinterSimulator
from hall.events import read_events


def printable(engine, ticket):
    pub = engine.public_ticket(ticket)
    service = next(s for s in engine.config.services if s.id == ticket["service_id"])
    return {"number": ticket["number"], "service_name_zh": service.name_zh, "service_name_en": service.name_en,
            "ahead": pub.get("ahead", 0), "eta_minutes": pub.get("eta_minutes"),
            "status_url": engine.status_url(ticket), "issued_at": ticket["issued_at"],
            "priority_reason": ticket["priority_reason"]}


def test_printed_ticket_qr_opens_this_tickets_page(engine):
    ticket, _ = engine.issue_ticket("biz-setup")
    with PrinterSimulator.tcp() as sim, open_printer(sim.url) as printer:
        printer.print_ticket(printable(engine, ticket), hall_name=engine.config.hall.name_zh)
        job = sim.wait_for_job(2)
    [code] = [r.text for r in zxingcpp.read_barcodes(render_escpos(job))]
    assert code.endswith("/t/" + ticket["token"])
    assert engine.ticket_by_token(code.rsplit("/", 1)[1])["id"] == ticket["id"]


@pytest.mark.parametrize("fault,code", [({"paper": "out"}, "paper_out"), ({"mute": True}, "no_response")])
def test_print_failure_keeps_the_ticket_and_alerts_staff(engine, fault, code):
    with PrinterSimulator.tcp() as sim, open_printer(sim.url, timeout=0.2) as printer:
        sim.set_state(**fault)
        ticket, _ = engine.issue_ticket("biz-setup")          # committed before printing
        with pytest.raises(PrintError) as err:
            printer.print_ticket(printable(engine, ticket), hall_name=engine.config.hall.name_zh)
        assert err.value.code == code
        engine.record_print_failure(ticket["id"], err.value.message)
        assert sim.jobs == []
    kept = engine.get_ticket(ticket["id"])
    assert kept["state"] == "waiting" and kept["number"] == ticket["number"]
    failed = [e for e in read_events(engine.store, 0, 1000) if e["type"] == "printer.failed"]
    assert failed and failed[-1]["payload"]["number"] == ticket["number"]
    # the queue goes on: the next citizen gets the next number
    assert engine.issue_ticket("biz-setup")[0]["number"] != ticket["number"]
