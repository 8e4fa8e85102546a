"""Kiosk test fixtures: offscreen Qt, and a stand-in hall client for view-model unit tests."""

from __future__ import annotations

import os
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from kiosk.settings import KioskSettings  # noqa: E402
from onewindow.client import HallError, HallUnreachable  # noqa: E402

SERVICES = [
    {"id": "hukou", "name_zh": "户籍办理", "name_en": "Household registration", "domain": "household",
     "kind": "accept", "prefix": "A", "waiting": 3, "eta_minutes": 12, "open_now": True,
     "full": False, "pinned": True, "appointments": True,
     "materials": ["居民身份证", "户口簿", "近期免冠照片"]},
    {"id": "idcard", "name_zh": "身份证补领", "name_en": "ID card replacement", "domain": "household",
     "kind": "accept", "prefix": "B", "waiting": 0, "eta_minutes": 0, "open_now": True,
     "full": True, "pinned": False, "appointments": False, "materials": []},
    {"id": "tax", "name_zh": "税务登记", "name_en": "Tax registration", "domain": "tax",
     "kind": "accept", "prefix": "C", "waiting": 5, "eta_minutes": 20, "open_now": False,
     "full": False, "pinned": False, "appointments": False, "materials": ["营业执照"]},
    {"id": "pickup", "name_zh": "统一出件", "name_en": "Document pickup", "domain": "general",
     "kind": "pickup", "prefix": "P", "waiting": 1, "eta_minutes": 3, "open_now": True,
     "full": False, "pinned": True, "appointments": False, "materials": []},
]


class FakeHall:
    """Stands in for HallClient in view-model unit tests only (end-to-end tests use the real
    hall). Records calls; `down` makes every call raise HallUnreachable, as a dead LAN does."""

    def __init__(self):
        self.down = False
        self.calls: list[tuple] = []
        self.tickets: dict[str, dict] = {}     # idempotency key -> ticket
        self.count = 0
        self.lock = threading.Lock()
        self.checkin_error: HallError | None = None
        self.help_state = "open"
        self.ticket_views: dict[str, dict] = {}
        self.fail_once_after_commit = False
        self.complaint_keys: list[tuple] = []   # (idempotency key, contact consent) per filing

    def _call(self, name, *args):
        with self.lock:
            self.calls.append((name, *args))
        if self.down:
            raise HallUnreachable("ConnectionError")

    def names(self):
        return [c[0] for c in self.calls]

    def health(self):
        self._call("health")
        return {"status": "ok", "hall": {"id": "t", "name_zh": "测试大厅", "name_en": "Test Hall"}}

    def page_exists(self, path):
        return False

    def services(self):
        self._call("services")
        return [dict(s) for s in SERVICES]

    def issue_ticket(self, service_id, *, idempotency_key, priority_reason=None, phone=None,
                     lang="zh"):
        self._call("issue_ticket", service_id, idempotency_key, priority_reason, phone)
        with self.lock:
            if idempotency_key not in self.tickets:
                self.count += 1
                prefix = next(s["prefix"] for s in SERVICES if s["id"] == service_id)
                self.tickets[idempotency_key] = {
                    "id": f"t{self.count}", "number": f"{prefix}{self.count:03d}",
                    "service_id": service_id, "state": "waiting", "ahead": 2,
                    "eta_minutes": 8, "token": f"tok{self.count:08d}",
                    "status_url": f"http://hall.local/t/tok{self.count:08d}"}
            ticket = dict(self.tickets[idempotency_key])
        if self.fail_once_after_commit:
            # the hall committed, then the answer was lost on the way back
            self.fail_once_after_commit = False
            raise HallUnreachable("ReadTimeout")
        return ticket

    def check_in(self, code):
        self._call("check_in", code)
        if self.checkin_error:
            raise self.checkin_error
        return {"id": "ap1", "number": "Y001", "service_id": "hukou", "state": "waiting",
                "ahead": 0, "eta_minutes": 1, "token": "tokappt0001",
                "status_url": "http://hall.local/t/tokappt0001"}

    def ticket(self, token):
        self._call("ticket", token)
        if token not in self.ticket_views:
            raise HallError("not_found", "没有这张号票", "No such ticket", 404)
        return self.ticket_views[token]

    def rate(self, token, level, reasons=None):
        self._call("rate", token, level, reasons)
        return {"ok": True}

    def file_complaint(self, category, *, text="", phrases=None, phone=None, kind="complaint",
                       contact_consent=False, idempotency_key=None):
        self.complaint_keys.append((idempotency_key, contact_consent))
        self._call("file_complaint", category, phrases, phone, kind)
        return {"code": "TS20261128-0007"}

    def raise_help(self, note=None):
        self._call("raise_help", note)
        return {"id": 42, "state": "open"}

    def help_request(self, help_id):
        self._call("help_request", help_id)
        return {"id": help_id, "state": self.help_state,
                "acknowledged_at": 1764321720.0 if self.help_state == "acknowledged" else None}

    def report_print_failure(self, ticket_id, reason):
        self._call("report_print_failure", ticket_id, reason)
        return {}

    def sign_in(self, staff_id, pin):
        self._call("sign_in", staff_id)
        if pin != "2468":
            raise HallError("bad_pin", "工号或密码不正确", "Wrong PIN", 401)
        return {"token": "sess", "role": "manager" if staff_id == "9" else "clerk"}


class FakePrinter:
    """A printer object with the drivers interface; `fail` makes every job raise."""

    def __init__(self):
        self.jobs: list[tuple] = []
        self.fail = None
        self.paper = "ok"
        self.offline = False

    def status(self):
        from types import SimpleNamespace
        return SimpleNamespace(online=not self.offline, paper=self.paper, cover_open=False,
                               text_zh="", text_en="")

    def _job(self, *job):
        if self.fail is not None:
            raise self.fail
        self.jobs.append(job)

    def print_ticket(self, ticket, *, hall_name, elder=False):
        self._job("ticket", ticket["number"], ticket.get("priority_reason"))

    def print_notice(self, service_name, materials, next_step=None, free=None):
        self._job("notice", service_name, tuple(materials))

    def print_materials_slip(self, service_name, materials, *, number, hall_name="",
                             service_name_en="", materials_en=None, free=None):
        self._job("materials", service_name, tuple(materials))

    def print_complaint_receipt(self, code, category, status_url=None):
        self._job("complaint", code, category)

    def print_rating_slip(self, number, rating_url):
        self._job("rating", number)

    def close(self):
        pass


@pytest.fixture
def fake_hall():
    return FakeHall()


@pytest.fixture
def fake_printer():
    return FakePrinter()


@pytest.fixture
def vm(qtbot, fake_hall, fake_printer):
    from kiosk.devices import PrinterPort
    from kiosk.viewmodel import KioskViewModel

    settings = KioskSettings(hall_url="http://hall.local", printer_url="sim://test",
                             idle_seconds=0.5, poll_seconds=60, retry_seconds=0.05,
                             printer_poll_seconds=60, help_poll_seconds=0.05)
    model = KioskViewModel(fake_hall, PrinterPort("sim://test", opener=lambda url: fake_printer),
                           settings)
    qtbot.waitUntil(lambda: len(model.services) == 4, timeout=3000)
    yield model
    model.shutdown()
