"""The running caller display: follower thread -> Qt view-model -> QML screen, plus the voice."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSize, QTimer, Signal, Slot

from caller_display.follower import FollowerCallbacks, HallFollower
from caller_display.screen import DisplayScreen, ensure_app
from caller_display.state import Call
from caller_display.viewmodel import DisplayViewModel
from caller_display.voice import Announcer
from hall.display_layouts import Layout, builtin_layouts
from onewindow.qtcompat import emit

log = logging.getLogger(__name__)
STATUS_EVERY_MS = 60_000


class DisplayController(QObject):
    """Lives on the GUI thread; the follower's threads reach it only through its signals."""

    event_arrived = Signal(object, bool)
    layout_arrived = Signal(object, str)
    windows_arrived = Signal(object)
    services_arrived = Signal(object)
    connection_changed = Signal(bool, str)
    log_restarted = Signal()
    # (seq, monotonic time) when a frame showing a new call was presented.
    call_did_show = Signal(int, float)

    def __init__(self, vm: DisplayViewModel, screen: DisplayScreen,
                 announcer: Announcer | None = None,
                 screenshot_dir: Path | None = None) -> None:
        super().__init__()
        self.vm = vm
        self.screen = screen
        self.announcer = announcer
        self.screenshot_dir = Path(screenshot_dir) if screenshot_dir else None
        self.disconnect_reason = ""
        self.closed = False
        self._shown_seq = 0
        self.event_arrived.connect(self._on_event)
        self.layout_arrived.connect(self._on_layout)
        self.windows_arrived.connect(self._on_windows)
        self.services_arrived.connect(self._on_services)
        self.connection_changed.connect(self._on_connection)
        self.log_restarted.connect(self._on_log_restarted)
        vm.call_did_arrive.connect(self._on_call)
        screen.view.frameSwapped.connect(self._on_frame)

    def callbacks(self) -> FollowerCallbacks:
        def send(signal):
            # After close() the follower may still be finishing a request; drop its news.
            return lambda *args: None if self.closed else emit(signal, *args)

        return FollowerCallbacks(
            on_event=send(self.event_arrived), on_layout=send(self.layout_arrived),
            on_windows=send(self.windows_arrived), on_services=send(self.services_arrived),
            on_connection=send(self.connection_changed), on_reset=send(self.log_restarted))

    @Slot(object, bool)
    def _on_event(self, event: dict, quiet: bool) -> None:
        self.vm.apply_event(event, quiet)

    @Slot(object, str)
    def _on_layout(self, layout: Layout, hall_name: str) -> None:
        if hall_name:
            self.vm.set_hall_name(hall_name)
        current = self.vm.state.layout
        if layout.model_dump() != current.model_dump():
            log.info("layout %s version %s applied", layout.name, layout.version)
            self.vm.set_layout(layout)

    @Slot(object)
    def _on_windows(self, rows: list[dict]) -> None:
        self.vm.load_snapshot(rows, None)

    @Slot(object)
    def _on_services(self, rows: list[dict]) -> None:
        self.vm.load_snapshot(None, rows)

    @Slot(bool, str)
    def _on_connection(self, connected: bool, reason: str) -> None:
        self.disconnect_reason = "" if connected else reason
        self.vm.set_connected(connected)

    @Slot()
    def _on_log_restarted(self) -> None:
        self.vm.reset()

    def _on_call(self, call: Call) -> None:
        layout = self.vm.state.layout
        if self.announcer is not None and layout.voices_window(
                {"number": call.window_number, "kind": call.window_kind}):
            self.announcer.announce(layout.voice, call.number, call.window_number, call.recall)

    @Slot()
    def _on_frame(self) -> None:
        seq = self.vm.bannerSeq
        if seq and seq != self._shown_seq:
            self._shown_seq = seq
            emit(self.call_did_show, seq, time.monotonic())
            if self.screenshot_dir is not None:
                self.screen.save(self.screenshot_dir / "latest.png")


class DisplayApp:
    """One display: `start()` connects and shows; `stop()` closes everything it opened."""

    def __init__(self, hall_url: str, token: str, *, layout_name: str | None = None,
                 announcer: Announcer | None = None, size: QSize | None = None,
                 screenshot_dir: Path | None = None, **follower_options) -> None:
        self.qt_app = ensure_app()
        self.vm = DisplayViewModel(builtin_layouts()[0])
        self.screen = DisplayScreen(self.vm, size)
        self.announcer = announcer
        self.controller = DisplayController(self.vm, self.screen, announcer, screenshot_dir)
        self._hall_url, self._token = hall_url, token
        # Every minute, from the Qt loop: "this screen is alive" for the hall's health report
        # (the central's fleet view); a frozen loop stops the reports too.
        self._status_timer = QTimer(interval=STATUS_EVERY_MS)
        self._status_timer.timeout.connect(self._report_screen)
        self.follower = HallFollower(hall_url, token, self.controller.callbacks(),
                                     layout_name=layout_name, **follower_options)

    def start(self, full_screen: bool = False) -> DisplayApp:
        from onewindow.qtnotify import attach

        self.vm.start_clock()
        self.notifier = attach(self.screen.view, "display")   # READY=1 at the first frame
        self.screen.show(full_screen)
        self._status_timer.start()
        QTimer.singleShot(2000, self._report_screen)
        self.follower.start()
        return self

    def stop(self) -> None:
        """Stop and free everything on this (the GUI) thread, in dependency order."""
        import shiboken6

        self.controller.closed = True
        self._status_timer.stop()
        if getattr(self, "notifier", None) is not None:
            self.notifier.stop()
        self.follower.stop()
        if self.announcer is not None:
            self.announcer.close()
        self.vm.shutdown()
        self.screen.close()
        # Freed here and now: left to the garbage collector, these Qt objects could be
        # destroyed from a follower thread of some later display (see vm.shutdown).
        for obj in (self.controller, self.vm):
            if shiboken6.isValid(obj):
                shiboken6.delete(obj)

    def _report_screen(self) -> None:
        if self.controller.closed:
            return
        threading.Thread(target=self._post_status, name="display-status", daemon=True).start()

    def _post_status(self) -> None:
        from onewindow.client import HallClient

        client = HallClient(self._hall_url, self._token, timeout=5)
        try:
            client.report_status({"screen": {"state": "ok"}})
        except Exception as exc:  # noqa: BLE001 - an older hall, or the link is down
            log.debug("display status not reported: %s", exc)
        finally:
            client.close()

    def pump(self, seconds: float) -> None:
        """Run the Qt event loop for a while (tests, demo, bench run without exec())."""
        self.pump_until(lambda: False, seconds)

    def pump_until(self, predicate, timeout: float) -> bool:
        """Run a real (nested) event loop until predicate() or timeout; True if it held.
        A real loop, not processEvents(): only a loop frees replaced QML items."""
        from PySide6.QtCore import QEventLoop

        if predicate():
            return True
        loop = QEventLoop()
        deadline = time.monotonic() + timeout
        result = [False]

        def check():
            if predicate():
                result[0] = True
                loop.quit()
            elif time.monotonic() >= deadline:
                loop.quit()

        ticker = QTimer(interval=5)
        ticker.timeout.connect(check)
        ticker.start()
        loop.exec()
        ticker.stop()
        return result[0] or bool(predicate())
