"""Guards against PySide6 6.12.0's Signal.emit(), which returns a bool it does not own.

Each Python-side emit drops one reference to True; a display emits several signals per call,
so after some thousands of calls the interpreter aborts ("bool_dealloc: deallocating True").
Every emit in caller_display goes through `emit()` below, which returns the reference when
an import-time probe shows the running PySide6 has the bug (a fixed PySide6 is left alone).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

_py_incref = ctypes.pythonapi.Py_IncRef
_py_incref.argtypes = [ctypes.py_object]
_py_incref.restype = None


class _Probe(QObject):
    ping = Signal()


def _measure_leak(rounds: int = 16) -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(rounds):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(lost, 0)):
        _py_incref(True)  # repay what the probe itself cost
    return lost >= rounds


EMIT_DROPS_REFERENCE = _measure_leak()


def emit(signal, *args) -> None:
    """`signal.emit(*args)` without the reference-count damage."""
    result = signal.emit(*args)
    if EMIT_DROPS_REFERENCE and isinstance(result, bool):
        _py_incref(result)
