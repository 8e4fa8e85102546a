"""The display's view-model: DisplayState exposed to QML as properties, plus flash and clock."""

from __future__ import annotations

import time

from PySide6.QtCore import (
    Property,
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
    Signal,
    Slot,
)

from caller_display.state import Call, DisplayState
from hall.display_layouts import Layout
from onewindow.qtcompat import emit

WEEKDAYS = "一二三四五六日"
FLASH_PERIOD_MS = 450


class RowsModel(QAbstractListModel):
    """A list of flat dicts for a QML Repeater. Same length: only changed rows are signalled,
    so QML keeps its delegates and just redraws text (a call must not rebuild the screen)."""

    def __init__(self, roles: list[str], parent=None) -> None:
        super().__init__(parent)
        self._roles = roles
        self._rows: list[dict] = []

    def roleNames(self):  # noqa: N802 - Qt's name
        return {Qt.ItemDataRole.UserRole + i: QByteArray(name.encode())
                for i, name in enumerate(self._roles)}

    def rowCount(self, parent=QModelIndex()):  # noqa: N802, B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        i = role - Qt.ItemDataRole.UserRole
        if not index.isValid() or not 0 <= i < len(self._roles):
            return None
        return self._rows[index.row()].get(self._roles[i])

    def update(self, rows: list[dict]) -> None:
        if len(rows) != len(self._rows):
            self.beginResetModel()
            self._rows = list(rows)
            self.endResetModel()
            return
        for i, (old, new) in enumerate(zip(self._rows, rows, strict=True)):
            if old != new:
                self._rows[i] = new
                emit(self.dataChanged, self.index(i), self.index(i))


class DisplayViewModel(QObject):
    """Holds what is on screen; QML binds to it. Only ever touched on the GUI thread."""

    layoutChanged = Signal()
    bannerChanged = Signal()
    flashChanged = Signal()
    windowsChanged = Signal()
    recentChanged = Signal()
    waitingChanged = Signal()
    connectionChanged = Signal()
    clockChanged = Signal()
    # Emitted for every new call the layout shows (not for quiet catch-up replays).
    call_did_arrive = Signal(object)

    def __init__(self, layout: Layout, hall_name: str = "", parent=None) -> None:
        super().__init__(parent)
        self.state = DisplayState(layout)
        self._hall_name = hall_name
        self._connected = False
        self._flashing = False
        self._flash_on = False
        self._clock = ""
        self._windows: list[dict] = []
        self._recent: list[dict] = []
        self._waiting: list[dict] = []
        self._windows_model = RowsModel(["number", "name", "current", "windowState"], self)
        self._recent_model = RowsModel(["number", "window", "recall", "name"], self)
        self._flash_end = QTimer(self, singleShot=True, timeout=self._stop_flash)
        self._flash_blink = QTimer(self, interval=FLASH_PERIOD_MS, timeout=self._blink)
        self._clock_timer = QTimer(self, interval=1000, timeout=self._tick)
        self._tick()

    def start_clock(self) -> None:
        self._clock_timer.start()

    def shutdown(self) -> None:
        """Stop every timer. Call on the GUI thread before letting go of the view-model:
        if Python's garbage collector later frees it from another thread, a still-running
        QTimer would stay registered with this thread's loop and crash it when it fires."""
        for timer in (self._flash_end, self._flash_blink, self._clock_timer):
            timer.stop()

    # -- inputs (GUI thread) ------------------------------------------------------------

    @Slot(object)
    def apply_event(self, event: dict, quiet: bool = False) -> Call | None:
        banner_before = self.state.banner
        call = self.state.apply(event)
        etype = event.get("type", "")
        if call is not None:
            self._sync_windows()
            self._sync_recent()
            if not quiet:
                emit(self.bannerChanged)
                self._start_flash()
                emit(self.call_did_arrive, call)
            else:
                emit(self.bannerChanged)
        elif etype.startswith(("ticket.", "window.")):
            self._sync_windows()
            if self.state.banner is not banner_before:   # its ticket left the window
                emit(self.bannerChanged)
        return call

    def load_snapshot(self, windows: list[dict] | None, services: list[dict] | None) -> None:
        if windows is not None:
            self.state.load_windows(windows)
            self._sync_windows()
            self._sync_waiting()  # which queues to list depends on the windows shown
        if services is not None:
            self.state.load_services(services)
            self._sync_waiting()

    def set_layout(self, layout: Layout) -> None:
        self.state.set_layout(layout)
        emit(self.layoutChanged)
        self._sync_windows()
        self._sync_recent()
        self._sync_waiting()
        emit(self.bannerChanged)

    def reset(self) -> None:
        """Forget calls and the event cursor (the hall's event log started over)."""
        self.state = DisplayState(self.state.layout)
        self._sync_windows()
        self._sync_recent()
        self._sync_waiting()
        emit(self.bannerChanged)

    def set_hall_name(self, name: str) -> None:
        self._hall_name = name
        emit(self.layoutChanged)

    def set_connected(self, connected: bool) -> None:
        if connected != self._connected:
            self._connected = connected
            emit(self.connectionChanged)

    def freeze_flash(self, on: bool) -> None:
        """Hold the flash in one phase (screenshots need a deterministic frame)."""
        self._flash_blink.stop()
        self._flash_end.stop()
        self._flashing = on
        self._flash_on = on
        emit(self.flashChanged)

    # -- flash and clock ----------------------------------------------------------------

    def _start_flash(self) -> None:
        seconds = self.state.layout.flash_seconds
        if seconds <= 0:
            return
        self._flashing = True
        self._flash_on = True
        emit(self.flashChanged)
        self._flash_blink.start()
        self._flash_end.start(seconds * 1000)

    def _blink(self) -> None:
        self._flash_on = not self._flash_on
        emit(self.flashChanged)

    def _stop_flash(self) -> None:
        self._flash_blink.stop()
        self._flashing = False
        self._flash_on = False
        emit(self.flashChanged)

    def _tick(self) -> None:
        t = time.localtime()
        self._clock = (f"{t.tm_year}年{t.tm_mon}月{t.tm_mday}日 星期{WEEKDAYS[t.tm_wday]}  "
                       f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}")
        emit(self.clockChanged)

    # -- model lists --------------------------------------------------------------------

    def _sync_windows(self) -> None:
        rows = [{"number": t.number, "name": t.name_zh or f"{t.number}号窗口",
                 "current": t.current, "windowState": t.state}
                for t in self.state.visible_windows()]
        if rows != self._windows:
            self._windows = rows
            self._windows_model.update(rows)
            emit(self.windowsChanged)

    def _sync_recent(self) -> None:
        rows = [{"number": c.number, "window": c.window_number, "recall": c.recall,
                 "name": c.masked_name} for c in self.state.recent]
        if rows != self._recent:
            self._recent = rows
            self._recent_model.update(rows)
            emit(self.recentChanged)

    def _sync_waiting(self) -> None:
        # One line of the screen: the busiest queues, fewer on a narrow portrait screen.
        limit = 4 if self.state.layout.orientation == "portrait" else 6
        rows = [{"name": w["name_zh"], "name_en": w.get("name_en") or "",
                 "waiting": w["waiting"]} for w in self.state.waiting_to_show(limit)]
        if rows != self._waiting:
            self._waiting = rows
            emit(self.waitingChanged)

    # -- properties for QML -------------------------------------------------------------

    def _layout(self) -> Layout:
        return self.state.layout

    title = Property(str, lambda self: self._layout().title, notify=layoutChanged)
    hallName = Property(str, lambda self: self._hall_name, notify=layoutChanged)
    layoutName = Property(str, lambda self: self._layout().name, notify=layoutChanged)
    layoutVersion = Property(int, lambda self: self._layout().version, notify=layoutChanged)
    portrait = Property(bool, lambda self: self._layout().orientation == "portrait",
                        notify=layoutChanged)
    elements = Property("QVariantList", lambda self: list(self._layout().elements),
                        notify=layoutChanged)
    background = Property(str, lambda self: self._layout().theme.background, notify=layoutChanged)
    foreground = Property(str, lambda self: self._layout().theme.foreground, notify=layoutChanged)
    accent = Property(str, lambda self: self._layout().theme.accent, notify=layoutChanged)
    notice = Property(str, lambda self: self._layout().notice, notify=layoutChanged)

    bannerNumber = Property(str, lambda self: self.state.banner.number if self.state.banner
                            else "", notify=bannerChanged)
    bannerWindow = Property(str, lambda self: self.state.banner.window_number
                            if self.state.banner else "", notify=bannerChanged)
    bannerRecall = Property(bool, lambda self: bool(self.state.banner and self.state.banner.recall),
                            notify=bannerChanged)
    bannerName = Property(str, lambda self: self.state.banner.masked_name
                          if self.state.banner else "", notify=bannerChanged)
    bannerSeq = Property(int, lambda self: self.state.banner.seq if self.state.banner else 0,
                         notify=bannerChanged)
    flashing = Property(bool, lambda self: self._flashing, notify=flashChanged)
    flashOn = Property(bool, lambda self: self._flash_on, notify=flashChanged)

    windows = Property("QVariantList", lambda self: self._windows, notify=windowsChanged)
    windowCount = Property(int, lambda self: len(self._windows), notify=windowsChanged)
    windowsModel = Property(QObject, lambda self: self._windows_model, constant=True)
    recentModel = Property(QObject, lambda self: self._recent_model, constant=True)
    recent = Property("QVariantList", lambda self: self._recent, notify=recentChanged)
    waiting = Property("QVariantList", lambda self: self._waiting, notify=waitingChanged)
    connected = Property(bool, lambda self: self._connected, notify=connectionChanged)
    clock = Property(str, lambda self: self._clock, notify=clockChanged)
