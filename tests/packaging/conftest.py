"""Shared by the packaging tests: one wheelhouse per test session (the wheels themselves are
cached across sessions in ~/.cache/onewindow/wheels by packaging/wheelhouse.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))


def debian12_python() -> str | None:
    """/usr/bin/python3 when it is 3.11 with venv (the boxes' interpreter), else None."""
    import subprocess

    py = "/usr/bin/python3"
    if not Path(py).exists():
        return None
    r = subprocess.run([py, "-c", "import sys, ensurepip; print(sys.version_info[:2] == (3, 11))"],
                       capture_output=True, text=True)
    return py if r.stdout.strip() == "True" else None


@pytest.fixture(scope="session")
def wheelhouse_dir(tmp_path_factory):
    import wheelhouse

    if sys.version_info[:2] != (3, 11):
        pytest.skip("the lock and wheelhouse are for CPython 3.11 (Debian 12)")
    out = tmp_path_factory.mktemp("wheelhouse") / "wh"
    wheelhouse.build(out)
    yield out
    shutil.rmtree(out, ignore_errors=True)
