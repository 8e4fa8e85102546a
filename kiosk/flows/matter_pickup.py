"""A matter's pickup code (OW1:P:…, on the acceptance slip and the citizen's matter page)
scanned at the kiosk.

Rules this flow owns:
- The hall decides what the code means now: the result is ready -> a ticket for 统一出件 with
  the matter attached (printed like any ticket; a second scan gives the same ticket back);
  the matter only waits for owed materials (容缺) -> the visit is filed for the pickup/consult
  window and the citizen is told where to hand them in, with no queue number; otherwise
  the hall's own answer (not ready yet, promised date; already collected) is shown.
- One scan in flight at a time (the shared pending slot); the hall unreachable is a message
  to scan again, never a ticket guessed locally.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.flows.common import text as _text
from kiosk.flows.take_ticket import _complete_ticket
from onewindow.client import HallError, HallUnreachable

log = logging.getLogger("kiosk.viewmodel")


class MatterPickupFlow:
    """Mixed into KioskViewModel; entered from ScanFlow for a pickup code."""

    def _pickup_code(self, value: str) -> None:
        if self._pending is not None:
            return
        p = self._pending = self._new_pending("matter", code=value)
        client, printer = self.client, self.printer

        def job():
            out = client.scan_matter(p["code"])
            if out.get("action") != "ticket":
                return out, None
            ticket = _complete_ticket(out["ticket"], p)
            try:
                printer.print_ticket(ticket, hall_name=p["hall_name"], elder=p["elder"])
                print_error = None
            except Exception as exc:  # shown on screen and reported; the ticket stands
                print_error = exc
            return {**out, "ticket": ticket}, print_error

        self.hall.submit(job, self._matter_scanned)
        self._busy_text = _text("正在查询办件，请稍候", "Looking up your application")
        self._set_screen("printing")

    def _matter_scanned(self, result: Any, error: BaseException | None) -> None:
        self._pending = None
        if isinstance(error, HallUnreachable):
            self._went_offline()
            self._show_message(_text("暂时无法连接大厅系统", "Cannot reach the hall system"),
                               _text("请稍后再扫描取件码", "Please scan your pickup code again shortly"),
                               "error")
            return
        if isinstance(error, HallError):
            if error.code in ("matter_not_ready", "matter_closed"):
                title = (_text("办件尚未办结", "Not ready yet") if error.code == "matter_not_ready"
                         else _text("该办件已领取或已结束", "Already collected or closed"))
                self._show_message(title, _text(error.message, error.message_en), "info",
                                   _text("如有疑问，请到咨询台", "Ask at the information desk if in doubt"))
            elif error.status == 404:
                self._show_message(_text("取件码无效", "Unknown pickup code"),
                                   _text(error.message, error.message_en), "error",
                                   _text("请核对回执上的取件码，或到咨询台", "Check the code on your receipt, or ask at the desk"))
            else:
                self._error_message(error)
            return
        if error is not None:
            self._error_message(error)
            return
        out, print_error = result
        self._came_online()
        if out.get("action") == "filed":
            self._show_message(_text("补交材料已登记，无需取号", "Filed: no queue number needed"),
                               _text(out.get("message", ""), out.get("message_en", "")), "info",
                               _text("工作人员收到材料后，办件页面会更新", "Your application page updates once staff receive them"))
            return
        self._ticket = out["ticket"]
        log.info("pickup ticket %s for matter %s", self._ticket.get("number"), out.get("code"))
        self._ticket_printed(None, print_error)
