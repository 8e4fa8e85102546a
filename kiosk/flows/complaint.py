"""Complaints and suggestions (投诉/建议) filed at the kiosk.

Rules this flow owns:
- A category is required (hall.toml [kiosk] complaint_categories, known to the hall by id);
  canned phrases are optional chips; the kind toggles complaint <-> suggestion.
- A phone number is attached only if complete and consented to (the shared phone screen,
  whose consent reads "only to call me back about this" here), and the hall is told so.
- A submission carries an idempotency key, kept while its content stays the same: a retry
  after a lost answer returns the complaint already filed, never a second one.
- One submission at a time; the receipt with the tracking code is printed after the hall
  accepted it, and a failed receipt print is shown, not hidden (the code is on screen).
- The "write it on your phone" QR appears only when the hall serves COMPLAINT_PAGE.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import Slot

from kiosk.flows.common import text as _text
from kiosk.flows.common import toggled as _toggled
from onewindow.client import HallUnreachable
from onewindow.qtcompat import emit

COMPLAINT_PAGE = "/complaint"   # a hall page where citizens file on their own phone


class ComplaintFlow:
    """Slots of the complaint flow; mixed into KioskViewModel."""


    @Slot()
    def openComplaint(self) -> None:
        self._reset_flow()
        self._complaint = {"category": "", "phrases": [], "kind": "complaint", "error": ""}
        self._set_screen("complaint")

    @Slot(str)
    def chooseCategory(self, category_id: str) -> None:
        self._complaint = dict(self._complaint, category=category_id, error="")
        emit(self.stateChanged)
        self._arm_idle()

    @Slot(str)
    def togglePhrase(self, phrase_id: str) -> None:
        self._complaint = dict(self._complaint, phrases=_toggled(self._complaint.get("phrases"), phrase_id))
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def toggleComplaintKind(self) -> None:
        kind = "suggestion" if self._complaint.get("kind") == "complaint" else "complaint"
        self._complaint = dict(self._complaint, kind=kind)
        emit(self.stateChanged)
        self._arm_idle()

    @Slot()
    def complaintPhone(self) -> None:
        self._phone_target = "complaint"
        self._set_screen("phone")

    @Slot()
    def submitComplaint(self) -> None:
        c = self._complaint
        if not c.get("category"):
            self._complaint = dict(c, error="请先选择一个类别 / Choose a category first")
            emit(self.stateChanged)
            return
        if self._pending is not None or c.get("sending"):
            return
        cat = next((x for x in self.settings.complaint_categories
                    if x["id"] == c["category"]),
                   {"id": c["category"], "zh": c["category"], "en": c["category"]})
        phrase_text = [p["zh"] for p in self.settings.complaint_phrases
                       if p["id"] in (c.get("phrases") or [])]
        phone = self._phone if (self._phone_ok() and self._phone_consent) else None
        content = [cat["id"], phrase_text, c.get("kind", "complaint"), bool(phone)]
        if c.get("key_for") != content:         # a new complaint, or one changed since: a new key
            c = dict(c, key=uuid.uuid4().hex, key_for=content)
        key = c["key"]
        self._complaint = dict(c, sending=True)
        self._busy_text = _text("正在提交，请稍候", "Submitting")
        self._set_screen("printing")

        def call():
            # The hall knows categories by id (hall.toml [kiosk] complaint_categories).
            return self.client.file_complaint(cat["id"], phrases=phrase_text, phone=phone,
                                              kind=c.get("kind", "complaint"),
                                              contact_consent=phone is not None, idempotency_key=key)

        def done(result, err):
            if err is not None:
                self._complaint = dict(self._complaint, sending=False)
                if isinstance(err, HallUnreachable):
                    self._went_offline()
                    self._set_screen("unreachable")
                else:
                    self._error_message(err)
                return
            code = str((result or {}).get("code", ""))
            status_url = (result or {}).get("status_url")
            self._complaint = dict(self._complaint, sending=False, code=code,
                                   category_zh=cat["zh"], category_en=cat["en"], printed=None)
            self._set_screen("complaint_done")
            self.print_lane.submit(
                lambda: self.printer.print_complaint_receipt(code, cat["zh"], status_url),
                self._receipt_printed)

        self.hall.submit(call, done)

    def _receipt_printed(self, _r, err) -> None:
        self._complaint = dict(self._complaint, printed=err is None,
                               print_error=getattr(err, "message", "") if err else "")
        emit(self.stateChanged)
