"""Appointment check-in: an 8-digit code typed on the keypad or scanned from the booking QR.

Rules this flow owns:
- A code is exactly 8 digits; anything shorter is explained on the keypad screen.
- Check-in shares the take-a-number pending machinery (one in flight, retried with the
  same intent while the hall is unreachable) and prints the ticket the same way.
- Every refusal the hall gives has its own title and next step: too early, too late /
  expired, not today's date, cancelled, unknown code, already checked in; anything else
  sends the citizen to the help button.
"""

from __future__ import annotations

from PySide6.QtCore import Slot

from kiosk.flows.common import text as _text
from onewindow.client import HallError
from onewindow.qtcompat import emit


class AppointmentFlow:
    """Slots of the appointment check-in flow; mixed into KioskViewModel."""


    @Slot()
    def openCheckin(self) -> None:
        self._code = ""
        self._notice = {}
        self._set_screen("checkin")

    @Slot(str)
    def codeKey(self, key: str) -> None:
        if key == "back":
            self._code = self._code[:-1]
        elif key == "clear":
            self._code = ""
        elif key.isdigit() and len(self._code) < 8:
            self._code += key
        self._notice = {}
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def submitCode(self) -> None:
        if len(self._code) != 8:
            self._notice = {"title": _text("预约码为 8 位数字", "The code has 8 digits"),
                            "body": _text("请核对后重新输入", "Please check and type it again")}
            emit(self.stateChanged)
            return
        self._check_in(self._code)

    def _check_in(self, code: str) -> None:
        if self._pending is not None:
            return
        self._pending = self._new_pending("checkin", code=code)
        self._submit_pending()
        self._busy_text = _text("正在签到，请稍候", "Checking you in")
        self._set_screen("printing")

    def _checkin_error(self, error: BaseException) -> None:
        if not isinstance(error, HallError):
            self._error_message(error)
            return
        code = error.code.lower()
        if "early" in code:
            title = _text("签到时间未到", "Too early to check in")
            nxt = _text("请在预约时段开始前再来签到，或现在取普通号",
                        "Come back shortly before your slot, or take a normal ticket now")
        elif "late" in code or "expired" in code:
            title = _text("已过签到时间", "Check-in time has passed")
            nxt = _text("请返回首页取普通号，工作人员会尽快为您办理",
                        "Go back and take a normal ticket; staff will serve you soon")
        elif "wrong_date" in code:
            title = _text("不是今天的预约", "Not today's appointment")
            nxt = _text("请在预约当天前来签到，或现在取普通号",
                        "Come on the day of your appointment, or take a normal ticket now")
        elif "cancel" in code:
            title = _text("该预约已取消", "This appointment was cancelled")
            nxt = _text("请返回首页取普通号", "Go back and take a normal ticket")
        elif "unknown" in code or "not_found" in code or error.status == 404:
            title = _text("没有找到该预约", "Appointment not found")
            nxt = _text("请核对预约码后重试，或按「帮办」呼叫工作人员",
                        "Check the code and try again, or press Help for staff")
        elif "already" in code or error.status == 409:
            title = _text("该预约已签到", "Already checked in")
            nxt = _text("请留意叫号屏，如票据遗失请联系工作人员",
                        "Watch the calling screen; ask staff if you lost the ticket")
        else:
            title = _text("未能签到", "Check-in not possible")
            nxt = _text("请按「帮办」呼叫工作人员", "Press Help to call a staff member")
        self._show_message(title, _text(error.message, error.message_en), "error", nxt)
