"""Rating (评价): the citizen scans the QR on their ticket after being served.

Rules this flow owns:
- Only a finished, not yet rated ticket can be rated; otherwise the screen says so and
  suggests scanning again after service. An unknown ticket is "not found".
- Five levels (非常满意 … 非常不满意, the national 好差评 scale); reasons come from
  hall.toml [kiosk] rating_reasons per level and are reset when the level changes.
- A rating is sent once (a second tap while sending does nothing).
"""

from __future__ import annotations

from PySide6.QtCore import Slot

from kiosk.flows.common import text as _text
from kiosk.flows.common import toggled as _toggled
from onewindow.client import HallError, HallUnreachable
from onewindow.qtcompat import emit

RATING_LEVELS = [
    {"level": 5, "zh": "非常满意", "en": "Very satisfied"},
    {"level": 4, "zh": "满意", "en": "Satisfied"},
    {"level": 3, "zh": "基本满意", "en": "Acceptable"},
    {"level": 2, "zh": "不满意", "en": "Dissatisfied"},
    {"level": 1, "zh": "非常不满意", "en": "Very dissatisfied"},
]


class RatingFlow:
    """Slots of the rating flow; mixed into KioskViewModel."""

    def _rating_reasons(self) -> list[dict]:
        level = str(self._rating.get("level") or "")
        return [{"id": text, "zh": text, "en": ""}
                for text in self.settings.rating_reasons.get(level, [])]

    @Slot()
    def openRateHint(self) -> None:
        self._reset_flow()
        self._show_message(_text("扫码评价", "Rate by scanning"),
                           _text("请将号票上的二维码对准扫码口", "Hold the QR on your ticket to the scanner"),
                           "info", _text("办结后即可评价；也可用手机扫码评价",
                                         "You can rate once served; or scan it with your phone"))


    def _open_rating(self, token: str) -> None:
        self._busy_text = _text("正在查询", "Looking up your ticket")
        self._set_screen("printing")

        def done(result, err):
            if err is not None:
                if isinstance(err, HallError) and err.status == 404:
                    self._show_message(_text("未找到该号票", "Ticket not found"),
                                       _text(err.message, err.message_en), "error")
                elif isinstance(err, HallUnreachable):
                    self._went_offline()
                    self._set_screen("unreachable")
                else:
                    self._error_message(err)
                return
            view = dict(result or {})
            if not view.get("can_rate"):
                self._show_message(
                    _text("暂不能评价", "Cannot rate yet"),
                    _text(f"{view.get('number', '')} 号的业务尚未办结或已评价",
                          f"Ticket {view.get('number', '')} is not finished or already rated"),
                    "info", _text("办结后可在此扫码评价", "Scan here again after your service"))
                return
            self._rating = {"token": token, "number": view.get("number", ""),
                            "service_zh": view.get("service_name_zh", ""),
                            "service_en": view.get("service_name_en", ""),
                            "level": 0, "reasons": []}
            self._set_screen("rate")

        self.hall.submit(lambda: self.client.ticket(token), done)

    @Slot(int)
    def chooseLevel(self, level: int) -> None:
        self._rating = dict(self._rating, level=int(level), reasons=[])
        emit(self.stateChanged)
        self._arm_idle()

    @Slot(str)
    def toggleRatingReason(self, reason_id: str) -> None:
        self._rating = dict(self._rating, reasons=_toggled(self._rating.get("reasons"), reason_id))
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def submitRating(self) -> None:
        r = self._rating
        if not r.get("level") or r.get("sending"):
            return
        self._rating = dict(r, sending=True)
        reasons = list(r.get("reasons") or [])

        def done(_result, err):
            self._rating = dict(self._rating, sending=False)
            if err is not None:
                if isinstance(err, HallUnreachable):
                    self._went_offline()
                    self._set_screen("unreachable")
                else:
                    self._error_message(err)
                return
            self._set_screen("rate_done")

        self.hall.submit(lambda: self.client.rate(r["token"], r["level"], reasons), done)
