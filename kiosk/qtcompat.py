"""Works around a PySide6 6.12.0 bug: Signal.emit() returns True without owning a reference.

Every `signal.emit(...)` from Python drops one reference to the `True` singleton; after a
few thousand emits the interpreter aborts with "bool_dealloc: deallocating True or False"
(seen at exit of the test run, and it would kill a kiosk after hours). `emit()` below gives
the reference back. A probe at import decides whether the running PySide6 has the bug, so
a fixed PySide6 is left alone.
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


def emit(signal, *args) -> None:
    """signal.emit(*args), keeping the interpreter's reference counts intact."""
    result = signal.emit(*args)
    if EMIT_LEAKS and isinstance(result, bool):
        _incref(result)
