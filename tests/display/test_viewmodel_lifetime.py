"""A display runs for months: thousands of calls must not corrupt the interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from caller_display.screen import ensure_app
from caller_display.viewmodel import DisplayViewModel
from hall.display_layouts import parse_layout
from display.conftest import WINDOWS, SERVICES, call_event
app = ensure_app()
vm = DisplayViewModel(parse_layout({{"name": "t"}}))
vm.load_snapshot(WINDOWS, SERVICES)
for i in range(1, 3001):
    vm.apply_event(call_event(i, "A%03d" % (i % 1000), 1 + i % 5))
    vm.set_connected(i % 2 == 0)
print("calls", vm.state.calls_seen)
"""


def test_three_thousand_calls_and_a_clean_exit():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(tests=str(ROOT / "tests"))],
                          capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    # PySide6 6.12's emit() drops a reference to True per call; unguarded, this process
    # aborts at exit with "bool_dealloc" (exit code -6).
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "calls 3000" in proc.stdout
