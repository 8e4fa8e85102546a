"""Runs network and printer work off the UI thread and hands results back on it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from onewindow.qtcompat import emit

log = logging.getLogger(__name__)


class Lane(QObject):
    """One background thread; jobs run in order, results come back as Qt queued calls.

    One thread per lane because the hall connection and a printer port are not shared
    across threads; the hall lane and the printer lane never wait for each other.
    """

    _finished = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"kiosk-{name}")
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.pending = 0
        self._closed = False

    def submit(self, fn: Callable[[], Any],
               done: Callable[[Any, BaseException | None], None] | None = None) -> None:
        """Run fn() in the lane's thread; done(result, error) is then called on the UI thread."""
        if self._closed:
            return
        self.pending += 1

        def job():
            try:
                result, error = fn(), None
            except BaseException as exc:  # delivered to the UI thread, which decides
                result, error = None, exc
            if self._closed:
                return  # the kiosk is shutting down: nobody is left to tell
            try:
                emit(self._finished, (done, result, error))
            except RuntimeError:
                pass    # the Qt side was deleted while this job ran

        self._pool.submit(job)

    @Slot(object)
    def _deliver(self, payload) -> None:
        done, result, error = payload
        self.pending -= 1
        if done is None:
            if error is not None:
                log.warning("%s job failed: %s", self.name, error)
            return
        try:
            done(result, error)
        except Exception:
            log.exception("%s result handler failed", self.name)

    def shutdown(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)
