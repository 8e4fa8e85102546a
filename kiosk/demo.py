"""Demo stage: every kiosk screen as PNG, then real tickets through the hall and the printer."""

from __future__ import annotations

import logging
import os
import time

log = logging.getLogger(__name__)


def run(ctx) -> None:
    if ctx.headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk.screenshots import render_all
    from kiosk.settings import KioskSettings

    out = ctx.path("kiosk", "screens", "x").parent
    settings = KioskSettings()
    try:
        settings.apply_hall_config(ctx.config_path)
    except Exception as exc:  # the screens still render with the built-in names
        log.warning("kiosk demo: hall config not readable: %s", exc)
    shots = []
    for orientation in ("portrait", "landscape"):
        settings.orientation = orientation
        result = render_all(out, (orientation,), settings)
        shots += result["files"]
        if result["warnings"] or result["problems"]:
            raise RuntimeError(f"kiosk screens: {len(result['warnings'])} QML warnings, "
                               f"layout problems in {sorted(result['problems'])}")
    summary = {"screens": len(shots), "screens_dir": str(out.relative_to(ctx.out))}
    if ctx.hall_url and ctx.tokens.get("kiosk"):
        summary.update(_live(ctx, settings))
    ctx.summary["kiosk"] = summary


def _wait(condition, timeout: float) -> bool:
    from PySide6.QtCore import QCoreApplication, QEvent

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        # as an event loop would: free the screens the Loader let go of
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if condition():
            return True
        time.sleep(0.005)
    return False


def _live(ctx, settings) -> dict:
    """A few citizens at the real hall: normal, green channel with the materials list,
    then an empty paper roll; each printed ticket is rendered to PNG."""
    from drivers.printer.render import render_escpos
    from drivers.sim.printer import PrinterSimulator
    from kiosk.app import build_view, close_view, make_app
    from kiosk.devices import PrinterPort
    from kiosk.viewmodel import KioskViewModel
    from onewindow.client import HallClient

    make_app()
    settings.orientation = "portrait"
    settings.hall_url = ctx.hall_url
    settings.poll_seconds = 30
    issued: list[dict] = []
    with PrinterSimulator.tcp() as sim:
        client = HallClient(ctx.hall_url, ctx.tokens["kiosk"])
        printer = PrinterPort(sim.url)
        vm = KioskViewModel(client, printer, settings)
        view = build_view(vm, settings.size())
        view.show()
        try:
            if not _wait(lambda: vm.services, 10):
                raise RuntimeError("the kiosk got no services from the hall")
            open_services = [s for s in vm.services
                             if s.get("open_now") and not s.get("full") and s.get("pinned")]
            if not open_services:
                return {"live": "no service open for tickets at the hall right now"}
            plan = [(open_services[0], None, False),
                    (open_services[min(1, len(open_services) - 1)], "elderly", True)]
            for n, (service, green, materials) in enumerate(plan, start=1):
                jobs_before = len(sim.jobs)
                vm.chooseService(service["id"])
                if green:
                    vm.chooseGreen(green)
                if materials and not vm.printMaterials:
                    vm.togglePrintMaterials()
                vm.issue()
                if not _wait(lambda: vm.screen in ("ticket", "message", "printer_failed"), 15):
                    raise RuntimeError(f"ticket {n}: the kiosk is stuck on {vm.screen}")
                if vm.screen != "ticket":
                    raise RuntimeError(f"ticket {n}: {vm.notice or vm.printError}")
                expected = jobs_before + (2 if materials and service.get("materials") else 1)
                _wait(lambda want=expected: len(sim.jobs) >= want, 5)
                view.grabWindow().save(str(ctx.path("kiosk", "live", f"screen-ticket-{n}.png")))
                for j, job in enumerate(sim.jobs[jobs_before:], start=1):
                    render_escpos(job).save(
                        str(ctx.path("kiosk", "live", f"printed-{n}-{j}.png")))
                issued.append({"number": vm.ticket.get("number"), "service": service["id"],
                               "green": green, "printed_jobs": len(sim.jobs) - jobs_before})
                vm.goHome()
            # The paper runs out: the ticket is shown on screen and staff are alerted.
            sim.set_state(paper="out")
            vm.chooseService(open_services[0]["id"])
            vm.issue()
            _wait(lambda: vm.screen == "printer_failed", 15)
            _wait(lambda: False, 0.3)   # the QR image loads on the next frame
            view.grabWindow().save(str(ctx.path("kiosk", "live", "screen-paper-out.png")))
            issued.append({"number": vm.ticket.get("number"), "service": open_services[0]["id"],
                           "printed_jobs": 0, "shown_on_screen": vm.screen == "printer_failed"})
        finally:
            close_view(view)
            vm.shutdown()
            printer.close()
            client.close()
    return {"live_tickets": issued}
