"""Scans: a code from the scanner on whatever screen is showing.

Rules this flow owns:
- A scan is ignored while something is under way (the busy/printing screen, the PIN or
  manager screens, or a pending issue/check-in); the citizen scans again after.
- The code is parsed by kiosk.codes: an appointment code checks in, a ticket's QR opens
  rating, a pickup code asks the hall about its matter (kiosk/flows/matter_pickup.py); each starts from a clean flow.
- An unreadable code shows "not recognised" with the parser's reason, never a traceback.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Slot

from kiosk import codes
from kiosk.flows.common import text as _text

log = logging.getLogger("kiosk.viewmodel")


class ScanFlow:
    """Slots that route scanned codes; mixed into KioskViewModel."""


    @Slot(str)
    def scan(self, text: str) -> None:
        """A code from the scanner, on whatever screen is showing."""
        if self._busy():
            return
        try:
            code = codes.parse(text)
        except codes.BadCode as exc:
            self._scan_rejected(exc.message, exc.message_en)
            return
        self.scanned(code.kind, code.value)

    def _busy(self) -> bool:
        # Finish what is under way first; the citizen scans again after.
        return self._screen in ("printing", "pin", "manager") or self._pending is not None

    @Slot(str, str)
    def _scan_rejected(self, message: str, message_en: str) -> None:
        if self._busy():
            return
        self._show_message(_text("无法识别", "Not recognised"), _text(message, message_en),
                           "error")

    @Slot(str, str)
    def scanned(self, kind: str, value: str) -> None:
        """A code already parsed (kind appointment|ticket|pickup)."""
        if self._busy():
            return
        log.info("scanned %s code", kind)
        if kind == "appointment":
            self._reset_flow()
            self._check_in(value)
        elif kind == "ticket":
            self._reset_flow()
            self._open_rating(value)
        elif kind == "pickup":
            self._reset_flow()
            self._pickup_code(value)         # kiosk/flows/matter_pickup.py
