"""Help (帮办): the citizen calls a staff member to the kiosk.

Rules this flow owns:
- One open call per kiosk: pressing help again while a call is sending, waiting or
  acknowledged just shows it.
- While the help screen shows, the kiosk polls the call; once staff acknowledge it the
  screen says who and when, and it keeps following the call until staff close it (then it
  says so and goes home soon). The idle timer leaves an open call's screen alone.
  Leaving the screen stops the polling.
- The citizen may cancel the call ("不需要了"): the hall closes it (POST
  /help-requests/{id}/cancel, this kiosk's own calls only) and the kiosk goes home for the
  next citizen. If the hall cannot be reached the call stays on screen, with a line saying
  it could not be cancelled.
- The hall unreachable: the call is not pretended to be sent (the offline screen shows).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Slot

from onewindow.client import HallUnreachable
from onewindow.qtcompat import emit


class HelpFlow:
    """Slots of the help flow; mixed into KioskViewModel."""


    @Slot()
    def requestHelp(self) -> None:
        if self._help.get("state") in ("sending", "waiting", "acknowledged"):
            self._set_screen("help")
            return
        self._reset_flow()
        self._help = {"state": "sending", "raised_at": time.strftime("%H:%M")}
        self._set_screen("help")

        def done(result, err):
            if err is not None:
                self._help = {}
                if isinstance(err, HallUnreachable):
                    self._went_offline()
                else:
                    self._error_message(err)
                return
            self._help = {"state": "waiting", "id": str((result or {}).get("id", "")),
                          "raised_at": time.strftime("%H:%M")}
            emit(self.stateChanged)
            self.help_timer.start(int(self.settings.help_poll_seconds * 1000))

        self.hall.submit(lambda: self.client.raise_help("kiosk"), done)

    def _poll_help(self) -> None:
        help_id = self._help.get("id")
        if not help_id or self._screen != "help":
            self.help_timer.stop()
            return

        def done(result, err):
            if err is not None or not result or self._help.get("id") != help_id:
                return
            state = str(result.get("state") or "")
            acked = result.get("ack_at") or result.get("acknowledged_at")
            if state == "closed":
                self.help_timer.stop()
                self._help = dict(self._help, state="closed")
                emit(self.stateChanged)
                self._arm_idle()           # a done screen now: home soon
            elif acked or state == "acknowledged":
                if self._help.get("state") != "acknowledged":
                    self._help = dict(self._help, state="acknowledged",
                                      acknowledged_at=_clock(acked) or time.strftime("%H:%M"),
                                      by=str(result.get("ack_by_name") or ""))
                    emit(self.stateChanged)

        self.hall.submit(lambda: self.client.help_request(help_id), done)

    def _help_open(self) -> bool:
        return self._screen == "help" and self._help.get("state") in ("sending", "waiting",
                                                                      "acknowledged")

    @Slot()
    def cancelHelp(self) -> None:
        help_id = self._help.get("id")
        if not help_id or not self._help_open():
            return

        def done(result, err):
            if self._help.get("id") != help_id:
                return
            if err is not None:
                if isinstance(err, HallUnreachable):
                    self._help = dict(self._help, cancel_failed=True)
                    emit(self.stateChanged)
                else:
                    self._error_message(err)
                return
            self.help_timer.stop()
            self._help = {}
            self.goHome()

        self.hall.submit(lambda: self.client.cancel_help(help_id), done)


def _clock(value: Any) -> str:
    """HH:MM from unix seconds or an ISO string; '' when unknown."""
    if value in (None, ""):
        return ""
    try:
        return time.strftime("%H:%M", time.localtime(float(value)))
    except (TypeError, ValueError):
        text = str(value)
        return text[11:16] if len(text) >= 16 else text
