"""sd_notify for the Qt apps (kiosk, display): READY=1 when the first frame is on the screen,
WATCHDOG=1 from a QTimer on the GUI thread, so a frozen event loop stops the pings."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from onewindow import sdnotify

log = logging.getLogger(__name__)


class QtNotifier(QObject):
    def __init__(self, window, describe: str, parent: QObject | None = None):
        super().__init__(parent)
        self.describe = describe
        self.ready_sent = False
        self._window = window
        window.frameSwapped.connect(self._on_frame)
        self.timer = QTimer(self)
        interval = sdnotify.watchdog_interval()
        if interval:
            self.timer.setInterval(max(10, int(interval * 1000)))
            self.timer.timeout.connect(self._ping)

    def _on_frame(self) -> None:
        if self.ready_sent:
            return
        self.ready_sent = True
        try:
            self._window.frameSwapped.disconnect(self._on_frame)
        except (RuntimeError, TypeError):
            pass
        sdnotify.ready(status=f"{self.describe}: first frame shown")
        log.info("%s: first frame shown", self.describe)
        if self.timer.interval() and sdnotify.watchdog_interval():
            sdnotify.ping()
            self.timer.start()

    def _ping(self) -> None:
        sdnotify.ping()

    def stop(self) -> None:
        self.timer.stop()
        sdnotify.stopping()


def attach(window, describe: str) -> QtNotifier | None:
    """A notifier for `window` when systemd listens (NOTIFY_SOCKET), else None."""
    if not sdnotify.enabled():
        return None
    return QtNotifier(window, describe)
