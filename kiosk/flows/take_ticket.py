"""Take a number: domain -> service -> (green channel, phone) -> confirm -> issue -> print.

Rules this flow owns:
- A service that is closed now or full for today is not offered: choosing it shows why
  (all taken / not in service hours) and suggests another service or staff; no ticket.
- Green channel (绿色通道): the citizen picks one reason from hall.toml [kiosk]; the hall
  records it as the ticket's priority_reason and the ticket says so.
- Phone: optional. Kept only when it is 11 digits starting with 1 AND the consent box is
  ticked; an incomplete number or a missing tick is explained, never silently dropped.
  While typing the number is shown in full; once complete it is masked like everywhere else.
- Issue: one idempotency key per intent, reused by every retry, so a lost answer never
  makes two tickets. Only one issue (or check-in) is pending at a time; "home" is refused
  while it is in flight.
- Commit first, print second: the worker thread prints the moment the hall answers, with
  everything it needs copied at tap time (it never reads UI state later).
- Hall unreachable mid-issue: keep the pending intent and retry it with the same key on
  the retry timer; 401/403 means the kiosk's token is refused (a staff banner, not a
  citizen's problem).
- Printer failure after a committed ticket: the ticket stands; the screen shows the
  number and its QR to photograph, the printer state changes, and staff get an alert
  through the hall (kept and resent if the hall is down).
- "Print the materials list" prints the service's materials as a separate notice.
- Pickup (出件) is a service of kind "pickup" taken through the same flow.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import Slot

from kiosk.devices import PrintFailure
from kiosk.flows.common import text as _text
from kiosk.flows.theme import THEME_PREFIX, theme_tiles
from onewindow.client import HallError, HallUnreachable, mask_phone, new_idempotency_key
from onewindow.qtcompat import emit

log = logging.getLogger("kiosk.viewmodel")

NOTICE_NEXT_STEP = "请备齐以上材料，叫号后到窗口办理 / Bring these to the window when called"


class TakeTicketFlow:
    """Slots and helpers of the take-a-number flow; mixed into KioskViewModel."""

    def _phone_display(self) -> str:
        # Shown in full only while typing; masked once complete, as on every other surface.
        p = self._phone
        return mask_phone(p) if len(p) == 11 else p

    def _domains(self) -> list[dict]:
        seen: dict[str, dict] = {}
        for s in self._services:
            domain_id = s.get("domain") or "general"
            zh, en = self.settings.domain_names.get(domain_id, (domain_id, domain_id))
            d = seen.setdefault(domain_id, {"id": domain_id, "name": zh, "name_en": en,
                                            "count": 0, "waiting": 0, "open": False})
            d["count"] += 1
            d["waiting"] += int(s.get("waiting") or 0)
            d["open"] = d["open"] or bool(s.get("open_now", True) and not s.get("full"))
        return list(seen.values())


    def _domain_services(self) -> list[dict]:
        return [s for s in self._services if (s.get("domain") or "general") == self._domain]

    def _domain_name(self) -> dict:
        zh, en = self.settings.domain_names.get(self._domain, (self._domain, self._domain))
        return {"zh": zh, "en": en}

    def _pinned(self) -> list[dict]:
        # Theme services (一件事, kiosk/flows/theme.py) first, then the pinned services.
        return theme_tiles(self._services, self.settings.themes) + [s for s in self._services if s.get("pinned")]

    def _pickup_service(self) -> dict:
        for s in self._services:
            if s.get("kind") == "pickup":
                return s
        return {}

    # -- take a number --------------------------------------------------------------------------

    @Slot(str)
    def openDomain(self, name: str) -> None:
        self._domain = name
        emit(self.servicesChanged)
        self._set_screen("domain")

    def _find_service(self, service_id: str) -> dict | None:
        if service_id.startswith(THEME_PREFIX):
            return next((t for t in theme_tiles(self._services, self.settings.themes) if t["id"] == service_id), None)
        return next((s for s in self._services if s.get("id") == service_id), None)

    @Slot(str)
    def chooseService(self, service_id: str) -> None:
        svc = self._find_service(service_id)
        if svc is None:
            return
        if not svc.get("open_now", True) or svc.get("full"):
            why = (_text("今日号已取完", "All of today's tickets have been taken")
                   if svc.get("full") else
                   _text("该业务当前不在办理时间", "This service is closed at the moment"))
            next_step = _text("可选择其他业务，或咨询工作人员",
                              "Choose another service, or ask a staff member")
            booking = self.settings.booking_url
            if svc.get("full"):
                # 另约他日: full today, so book another day (a QR to the booking page)
                next_step = (_text("另约他日：扫描二维码，在手机上预约其他日期",
                                   "Book another day: scan the QR code with your phone")
                             if booking else
                             _text("另约他日：请到咨询台预约其他日期",
                                   "Book another day at the enquiry desk"))
            self._show_message(why, _text(svc.get("name_zh", ""), svc.get("name_en", "")),
                               "info", next_step)
            if svc.get("full") and booking:
                self._notice = dict(self._notice, qr=booking)
                emit(self.stateChanged)
            return
        self._service = svc
        self._green = {}
        self._print_materials = False
        self._set_screen("confirm")

    @Slot()
    def togglePrintMaterials(self) -> None:
        self._print_materials = not self._print_materials
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def openGreen(self) -> None:
        self._set_screen("green")

    @Slot(str)
    def chooseGreen(self, reason_id: str) -> None:
        reason = next((r for r in self.settings.green_reasons if r["id"] == reason_id), None)
        self._green = dict(reason) if reason else {}
        self._set_screen("confirm")

    @Slot()
    def clearGreen(self) -> None:
        self._green = {}
        self._set_screen("confirm")

    @Slot()
    def openPhone(self) -> None:
        self._phone_target = "ticket"
        self._set_screen("phone")

    @Slot(str)
    def phoneKey(self, key: str) -> None:
        if key == "back":
            self._phone = self._phone[:-1]
        elif key == "clear":
            self._phone = ""
        elif key.isdigit() and len(self._phone) < 11:
            self._phone += key
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def togglePhoneConsent(self) -> None:
        self._phone_consent = not self._phone_consent
        emit(self.stateChanged)
        self._arm_idle()

    def _phone_ok(self) -> bool:
        return len(self._phone) == 11 and self._phone.startswith("1")


    @Slot()
    def phoneDone(self) -> None:
        """Keep the phone only if it is complete and consented to; say why otherwise."""
        if self._phone and not self._phone_ok():
            self._notice = {"title": _text("手机号不完整", "Incomplete phone number"),
                            "body": _text("请输入 11 位手机号", "Enter an 11-digit mobile number")}
            emit(self.stateChanged)
            return
        if self._phone and not self._phone_consent:
            self._notice = {"title": _text("请先勾选同意", "Please agree first"),
                            "body": _text("勾选后才会发送通知", "Tick the consent to get notices")}
            emit(self.stateChanged)
            return
        self._notice = {}
        self._set_screen("complaint" if self._phone_target == "complaint" else "confirm")

    @Slot()
    def phoneSkip(self) -> None:
        self._phone = ""
        self._phone_consent = False
        self._notice = {}
        self._set_screen("complaint" if self._phone_target == "complaint" else "confirm")

    @Slot()
    def issue(self) -> None:
        """Take the number. One idempotency key per intent, reused by every retry."""
        if self._pending is not None or not self._service:
            return
        self._pending = self._new_pending(
            "issue", key=new_idempotency_key(), service=dict(self._service),
            priority_reason=self._green.get("id") if self._green else None,
            phone=self._phone if (self._phone_ok() and self._phone_consent) else None,
            print_materials=self._print_materials,
            name_masked=(self._card or {}).get("name_masked", ""))
        # Network first: loading the busy screen is not on the way to the printer.
        self._submit_pending()
        self._busy_text = _text("正在取号，请稍候", "Issuing your ticket")
        self._set_screen("printing")

    def _new_pending(self, kind: str, **fields) -> dict:
        """Everything the worker needs, copied now: it must not read UI state later."""
        return {"kind": kind, "lang": self._lang, "green_zh": (self._green or {}).get("zh", ""),
                "hall_name": self.settings.hall_name, "elder": self._elder,
                "names": {s.get("id"): (s.get("name_zh", ""), s.get("name_en", ""))
                          for s in self._services},
                "started": time.monotonic(), **fields}

    def _submit_pending(self) -> None:
        p = self._pending
        if p is None:
            return
        client, printer = self.client, self.printer

        def job():
            if p["kind"] == "issue" and p["service"].get("theme_id"):
                result = client.issue_theme_ticket(
                    p["service"]["theme_id"], idempotency_key=p["key"],
                    priority_reason=p["priority_reason"], phone=p["phone"], lang=p["lang"])
            elif p["kind"] == "issue":
                result = client.issue_ticket(
                    p["service"]["id"], idempotency_key=p["key"],
                    priority_reason=p["priority_reason"], phone=p["phone"], lang=p["lang"])
            elif p["kind"] == "idcard":
                result = client.post("/appointments/checkin-idcard", {"id_hash": p["id_hash"]})
            else:
                result = client.check_in(p["code"])
            # The hall has committed the ticket: print it from this worker thread at once,
            # without a round trip through the UI thread (commit first, print second).
            ticket = _complete_ticket(result, p)
            try:
                printer.print_ticket(ticket, hall_name=p["hall_name"], elder=p["elder"])
                service = p.get("service") or {}
                if p.get("print_materials") and service.get("materials"):
                    # 办理所需材料, not a refusal's 一次性告知单: a first visit's list with
                    # the hall, the service and the ticket it belongs to
                    free = [m.get("name") for m in service.get("materials_electronic") or []]
                    printer.print_materials_slip(
                        service.get("name_zh", ""), list(service.get("materials") or []),
                        number=str(ticket.get("number") or ""), hall_name=p["hall_name"],
                        service_name_en=service.get("name_en", ""),
                        materials_en=list(service.get("materials_en") or []), free=free)
                print_error = None
            except Exception as exc:  # shown on screen and reported; the ticket stands
                print_error = exc
            return ticket, print_error

        self.hall.submit(job, self._pending_done)

    def _pending_done(self, result: Any, error: BaseException | None) -> None:
        p = self._pending
        if p is None:
            return
        if isinstance(error, HallUnreachable):
            # The hall may or may not have committed; the retry with the same key settles it.
            self._went_offline()
            self.retry_timer.start(int(self.settings.retry_seconds * 1000))
            return
        self._pending = None
        if isinstance(error, HallError) and error.status in (401, 403):
            # The hall does not accept this kiosk: staff must fix it, citizens cannot.
            self._auth_problem = True
        elif error is None:
            self._auth_problem = False
        if error is not None:
            if p["kind"] == "checkin":
                self._checkin_error(error)
            elif p["kind"] == "idcard":
                self._idcard_error(error)
            else:
                self._error_message(error)
            return
        self._came_online()
        ticket, print_error = result
        self._ticket = ticket
        log.info("ticket %s issued for %s", ticket.get("number"), ticket.get("service_id"))
        self._ticket_printed(None, print_error)

    def _ticket_printed(self, _result: Any, error: BaseException | None) -> None:
        if error is None:
            self._set_screen("ticket")
            emit(self.ticketPrinted, self._ticket)
            return
        failure = error if isinstance(error, PrintFailure) else PrintFailure(
            "print_error", "打印机故障", "Printer error")
        log.warning("ticket %s not printed: %s", self._ticket.get("number"), failure)
        self._print_error = {"zh": failure.message, "en": failure.message_en,
                             "code": failure.code}
        self._printer_status = {
            "state": "out" if failure.code in ("out", "paper_out") else "offline",
            "text_zh": failure.message, "text_en": failure.message_en}
        self._set_screen("printer_failed")
        emit(self.ticketShownOnScreen, self._ticket)
        if self._ticket.get("id"):
            self._send_alert(str(self._ticket["id"]), f"{failure.code}: {failure.message_en}")
        self.check_printer()

    def _send_alert(self, ticket_id: str, reason: str) -> None:
        """Tell staff through the hall; kept and resent if the hall is unreachable now."""
        def done(_r, err):
            if isinstance(err, HallUnreachable):
                self._unsent_alerts.append((ticket_id, reason))
            elif err is not None:
                log.warning("print-failure alert refused: %s", err)

        self.hall.submit(lambda: self.client.report_print_failure(ticket_id, reason), done)

    # -- pickup ------------------------------------------------------------------------------

    @Slot()
    def openPickup(self) -> None:
        svc = self._pickup_service()
        if not svc:
            self._show_message(_text("暂无出件服务", "No pickup service"),
                               _text("请咨询工作人员", "Please ask a staff member"))
            return
        self._domain = ""
        self.chooseService(svc["id"])


def _complete_ticket(result: dict | None, pending: dict) -> dict:
    """The hall's answer plus what the printer and the screen need (service names, the
    green-channel reason, the masked phone). Pure: safe on a worker thread."""
    ticket = dict(result or {})
    names = pending.get("names", {}).get(ticket.get("service_id"), ("", ""))
    service = pending.get("service") or {}
    ticket.setdefault("service_name_zh", service.get("name_zh") or names[0])
    ticket.setdefault("service_name_en", service.get("name_en") or names[1])
    ticket.setdefault("priority_reason", pending.get("priority_reason"))
    ticket.setdefault("issued_at", time.time())
    ticket["green_zh"] = pending.get("green_zh", "") if pending.get("priority_reason") else ""
    ticket["phone_masked"] = mask_phone(pending.get("phone")) if pending.get("phone") else ""
    ticket["name_masked"] = pending.get("name_masked") or ""   # from an ID card: 张*三
    return ticket
