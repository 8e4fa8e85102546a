"""Kiosk test support: the kiosk stack driven by taps (also used by bench/kiosk.py) and
readers of the hall's database. The hall itself comes from tests/support/hallserver.py."""

from __future__ import annotations

import time
from pathlib import Path

import zxingcpp
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

from kiosk.app import build_view, close_view
from kiosk.devices import PrinterPort
from kiosk.settings import KioskSettings
from kiosk.viewmodel import KioskViewModel
from onewindow.client import HallClient

ROOT = Path(__file__).resolve().parents[2]


# -- helpers -------------------------------------------------------------------------------

def _items(item):
    for child in item.childItems():
        if child.isVisible():
            yield child
            yield from _items(child)


def settle(view) -> None:
    """Wait out the kiosk's guard against taps that land just after a screen change."""
    shown = float(view.rootObject().property("shownAt") or 0)
    delay = shown + 400 - time.time() * 1000
    if delay > 0:
        QTest.qWait(int(delay))


def tap(view, text: str) -> None:
    """Touch the on-screen button labelled `text`, as a citizen's finger would. Only labels
    on something touchable count (the code field may also read "3")."""
    QTest.qWait(60)   # let the screen lay itself out (grids position on the next frame)
    settle(view)
    for item in _items(view.rootObject()):
        if item.inherits("QQuickText") and item.property("text") == text:
            centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2))
            if not _touchable_at(view.rootObject(), centre):
                continue
            QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                             QPoint(int(centre.x()), int(centre.y())))
            return
    raise AssertionError(f"no button labelled {text!r} on screen")


def _touchable_at(root, point) -> bool:
    for item in _items(root):
        if item.inherits("QQuickMouseArea") and item.isEnabled() \
                and item.property("objectName") != "cornerArea":
            local = item.mapFromScene(point)
            if 0 <= local.x() <= item.width() and 0 <= local.y() <= item.height():
                return True
    return False


def hid_type(window, text: str) -> None:
    """Key events as a USB keyboard-wedge scanner sends them, ending with Enter."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtGui import QKeyEvent

    for ch in text:
        key = Qt.Key(ord(ch.upper())) if ch.isalnum() else Qt.Key.Key_Colon
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QCoreApplication.sendEvent(window, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QCoreApplication.sendEvent(window, QKeyEvent(kind, Qt.Key.Key_Return,
                                                     Qt.KeyboardModifier.NoModifier, "\r"))


def wait_job(qtbot, sim, seconds: float) -> bytes | None:
    """The first printed job, while the Qt event loop keeps running (the kiosk needs it)."""
    try:
        qtbot.waitUntil(lambda: len(sim.jobs) > 0, timeout=int(seconds * 1000))
    except Exception:
        return None
    return sim.jobs[0]


def screen_qr(view) -> list[str]:
    image: QImage = view.grabWindow()
    path = Path(f"/tmp/ow-kiosk-screen-{id(view)}.png")
    image.save(str(path))
    try:
        return [c.text for c in zxingcpp.read_barcodes(Image.open(path))]
    finally:
        path.unlink(missing_ok=True)


def ticket_rows(db_path: Path, service_id: str) -> list[dict]:
    import sqlite3

    from hall.tokens import token_in_db

    with sqlite3.connect(db_path) as c:
        c.row_factory = sqlite3.Row
        # The citizen's token is derived from the id, not stored (hall/tokens.py).
        return [{**r, "token": token_in_db(c, r["id"])} for r in c.execute(
            "SELECT * FROM tickets WHERE service_id = ?", (service_id,))]


def events_of(db_path: Path, kind: str) -> list[dict]:
    import json
    import sqlite3

    with sqlite3.connect(db_path) as c:
        return [json.loads(p) for (p,) in c.execute(
            "SELECT payload FROM events WHERE type = ?", (kind,))]


class Kiosk:
    """The real kiosk stack: HallClient over HTTP, PrinterPort over the drivers, QML view."""

    def __init__(self, hall_url: str, token: str, printer_url: str | None, qtbot,
                 timeout: float = 2.0):
        self.settings = KioskSettings(hall_url=hall_url, token=token, printer_url=printer_url,
                                      poll_seconds=60, retry_seconds=0.2, idle_seconds=120,
                                      printer_poll_seconds=60)
        self.settings.apply_hall_config(ROOT / "assets" / "hall.example.toml")
        self.client = HallClient(hall_url, token, timeout=timeout)
        self.printer = PrinterPort(printer_url)
        self.vm = KioskViewModel(self.client, self.printer, self.settings)
        self.view = build_view(self.vm, (1080, 1920))
        self.view.show()
        qtbot.waitUntil(lambda: len(self.vm.services) > 10, timeout=5000)

    def close(self) -> None:
        close_view(self.view)
        self.vm.shutdown()
        self.printer.close()
        self.client.close()
