"""Works around PySide6 6.12.0 reference-count bugs that would abort a long-running kiosk or display.

On Python 3.11, PySide6 6.12.0 drops one reference to `None` on every call of a Qt method
that returns void (QTimer.start, processEvents, setTitle ...) and one reference to `True` on
every Signal.emit(). After some tens of thousands of calls the interpreter aborts with
"none_dealloc: deallocating None" or "bool_dealloc" (seen after ~800 tickets in
bench/kiosk.py). Python 3.12 made these singletons immortal; `protect_singletons()` does
the same here by raising their reference counts far beyond what any run can use up. A probe
decides whether the running PySide6 has the bug, so a fixed one is left alone.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    fired = Signal()


def _emit_steals_a_reference() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.fired.emit()
    lost = before - sys.getrefcount(True)
    if lost > 0:
        for _ in range(lost):
            _incref(True)
    return lost >= 8


EMIT_LEAKS = _emit_steals_a_reference()


def _void_call_steals_none() -> bool:
    probe = _Probe()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= 8


VOID_LEAKS = _void_call_steals_none()
_HEADROOM = 1 << 60
_protected = False


def protect_singletons() -> None:
    """Make None, True and False effectively immortal (once per process) when PySide6
    leaks references to them. Over-counting a singleton is harmless: it is never freed."""
    global _protected
    if _protected or not (EMIT_LEAKS or VOID_LEAKS) or sys.version_info >= (3, 12):
        return
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    _protected = True


protect_singletons()


def emit(signal, *args) -> None:
    """signal.emit(*args), keeping the interpreter's reference counts intact."""
    result = signal.emit(*args)
    if EMIT_LEAKS and isinstance(result, bool):
        _incref(result)
