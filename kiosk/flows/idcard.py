"""ID-card check-in and ticket (issue 16): tap the second-generation ID card on the reader.

Rules this flow owns:
- A card tapped on the home, check-in or message screen checks in today's appointment
  booked with that ID (by the salted hash; the number never leaves the reader thread).
- A card tapped on the confirm screen takes the chosen service's ticket; the ticket page
  then shows the name masked (张*三). Nothing else of the card is kept.
- No appointment for the card: say so, and how to take a ticket (choose the service, then
  tap the card or press 确认取号). Other refusals read as for a typed code.
- The reader absent, unplugged or failing: the check-in screen says so in one line; the QR
  and code paths are untouched. No salt yet (the hall has not pulled bookings): a clear
  message, and the salt is asked for again.
- Offline-first: check-in by card needs only the hall (appointments already pulled).
"""

from __future__ import annotations

import logging

from kiosk.flows.common import text as _text
from onewindow.client import HallError, HallUnreachable
from onewindow.qtcompat import emit

log = logging.getLogger(__name__)

CARD_SCREENS = ("home", "checkin", "message", "domain", "ticket", "rate_done", "complaint_done")


class IdCardFlow:
    """Mixed into KioskViewModel; the shell declares cardRead/cardStatus and the `card`/`reader` properties."""

    def attach_idcard(self, port) -> None:
        """Use an IdCardPort (kiosk/idcard.py); its thread reaches us through queued signals."""
        self.idcard = port
        self._fetch_id_salt()

    def _fetch_id_salt(self) -> None:
        if self.idcard is None or not self.idcard.url:
            return

        def done(result, error):
            if error is None and isinstance(result, dict):
                self.idcard.salt = str(result.get("salt") or "")
            elif not isinstance(error, HallUnreachable):
                log.warning("id-card salt not available: %s", error)

        self.hall.submit(lambda: self.client.get("/kiosk/idcard-salt"), done)

    def _idcard_rows(self) -> list[dict]:
        """The reader's line on the manager's device screen (none when no reader is configured)."""
        r = self._reader
        if r.get("state") in (None, "none"):
            return []
        return [{"name_zh": "身份证阅读器", "name_en": "ID-card reader", "ok": r.get("state") == "ok",
                 "zh": r.get("text_zh") or "启动中", "en": r.get("text_en") or "starting"}]

    def _reader_status(self, state: str, zh: str, en: str) -> None:
        if state == "retry":           # one failed read; the reader is fine
            self._reader = {**self._reader, "hint_zh": zh, "hint_en": en}
            if self._screen == "checkin":   # the citizen is looking: say it where they look
                self._notice = {"title": _text("未能读取身份证", "Could not read the ID card"),
                                "body": _text(zh, en)}
        else:
            self._reader = {"state": state, "text_zh": zh, "text_en": en, "hint_zh": "", "hint_en": ""}
        emit(self.stateChanged)

    def _card_read(self, id_hash: str, name_masked: str) -> None:
        if self._pending is not None:
            return
        self._arm_idle()
        if self._screen == "confirm" and self._service:
            self._card = {"name_masked": name_masked}
            self.issue()
            return
        if self._screen not in CARD_SCREENS:
            return                      # mid-way through something else: ignore the card
        if not id_hash:
            self._fetch_id_salt()
            self._show_message(_text("暂时无法用身份证签到", "ID-card check-in not ready"),
                               _text("大厅尚未取得预约核验信息", "The hall has not received booking data yet"),
                               "error", _text("请扫描预约二维码或输入预约码签到",
                                              "Scan the booking QR code or type the code"))
            return
        self._reset_flow()
        self._card = {"name_masked": name_masked}
        self._pending = self._new_pending("idcard", id_hash=id_hash, name_masked=name_masked)
        self._submit_pending()
        self._busy_text = _text("正在核验身份证，请稍候", "Checking your ID card")
        self._set_screen("printing")

    def _idcard_error(self, error: BaseException) -> None:
        if isinstance(error, HallError) and error.code == "no_appointment_for_card":
            name = self._card.get("name_masked", "")
            self._show_message(
                _text(f"{name}，没有找到您今天的预约", f"{name}: no appointment today"),
                _text("身份证已读取，但今天没有用此身份证预约的事项",
                      "The card was read, but nobody booked with it for today"),
                "info",
                _text("请返回首页选择业务，在确认页刷身份证或按「确认取号」取号",
                      "Go back, choose a service, then tap the card or press Take a number"))
            return
        self._checkin_error(error)
