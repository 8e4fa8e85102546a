"""The manager's corner: a hidden gesture, staff ID + PIN, a status screen, test print, exit.

Rules this flow owns:
- Five taps on the top-left corner within three seconds open the PIN screen.
- Only a hall manager (role "manager") gets in; a wrong PIN keeps the staff ID and clears
  the PIN; an unreachable hall is said as such.
- Test print and exit work only on the manager screen; exit is how the kiosk is closed.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Slot

from kiosk.flows.common import text as _text
from onewindow.client import HallUnreachable
from onewindow.qtcompat import emit

log = logging.getLogger("kiosk.viewmodel")


class ManagerFlow:
    """Slots of the manager's screens; mixed into KioskViewModel."""


    @Slot()
    def cornerTap(self) -> None:
        """Hidden gesture: five taps on the top-left corner within three seconds."""
        now = time.monotonic()
        self._corner_taps = [t for t in self._corner_taps if now - t < 3.0] + [now]
        if len(self._corner_taps) >= 5:
            self._corner_taps = []
            self._pin = {"staff": "", "pin": "", "field": "staff", "error": ""}
            self._reset_citizen()   # staff screens: the hall's default language, never elder
            self._elder = False
            self._set_screen("pin")

    @Slot(str)
    def pinKey(self, key: str) -> None:
        field = self._pin.get("field", "staff")
        value = self._pin.get(field, "")
        if key == "back":
            value = value[:-1]
        elif key == "clear":
            value = ""
        elif key == "next":
            self._pin = dict(self._pin, field="pin" if field == "staff" else "staff")
            emit(self.stateChanged)
            return
        elif len(value) < 16 and len(key) == 1 and key.isalnum():
            value += key
        self._pin = dict(self._pin, **{field: value}, error="")
        emit(self.stateChanged)
        self._arm_idle()

    @Slot(str)
    def pinField(self, field: str) -> None:
        self._pin = dict(self._pin, field=field)
        emit(self.stateChanged)

    @Slot()
    def submitPin(self) -> None:
        staff, pin = self._pin.get("staff", ""), self._pin.get("pin", "")
        if not staff or not pin:
            self._pin = dict(self._pin, error="请输入工号和密码 / Enter staff ID and PIN")
            emit(self.stateChanged)
            return

        def done(result, err):
            if err is not None:
                msg = ("无法连接大厅服务器 / Hall unreachable" if isinstance(err, HallUnreachable)
                       else "工号或密码不正确 / Wrong staff ID or PIN")
                self._pin = {"staff": staff, "pin": "", "field": "pin", "error": msg}
                emit(self.stateChanged)
                return
            role = str((result or {}).get("role")
                       or ((result or {}).get("staff") or {}).get("role") or "")
            if role != "manager":
                self._pin = {"staff": "", "pin": "", "field": "staff",
                             "error": "需要大厅管理员 / A hall manager is required"}
                emit(self.stateChanged)
                return
            self._pin = {"staff": "", "pin": "", "field": "staff", "error": ""}
            self._set_screen("manager")
            self.check_printer()

        self.hall.submit(lambda: self.client.sign_in(staff, pin), done)

    @Slot()
    def testPrint(self) -> None:
        if self._screen != "manager":
            return

        def job():
            self.printer.print_notice("打印测试 Test print",
                                      ["中文：一窗受理·一次办好", "English: OK", "123456789"],
                                      "测试完成 / Test done")

        def done(_r, err):
            self._notice = {"title": _text("测试打印完成", "Test print sent") if err is None
                            else _text("测试打印失败", "Test print failed"),
                            "body": _text(getattr(err, "message", ""),
                                          getattr(err, "message_en", "")) if err else {}}
            self.check_printer()
            emit(self.stateChanged)

        self.print_lane.submit(job, done)

    @Slot()
    def exitKiosk(self) -> None:
        if self._screen == "manager":
            log.info("manager closed the kiosk")
            emit(self.quitRequested)
