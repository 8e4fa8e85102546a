"""The declared lower bounds work: packaging/minimums.py installs every direct runtime
dependency at its minimum from setup.cfg into a (cached) venv and runs a smoke subset of the
tests there, plus a report chart. pymodbus>=3.6 was wrong this way (3.6.9 and 3.7.x lack
what drivers.bus.codec imports); the bound is now 3.8, the first release that works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import debian12_python

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_declared_minimum_versions_pass_the_smoke_tests():
    if not debian12_python():
        pytest.skip("needs /usr/bin/python3 3.11 with python3-venv (Debian 12)")
    r = subprocess.run([sys.executable, str(REPO / "packaging/minimums.py")], cwd=REPO,
                       capture_output=True, text=True, timeout=880)
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert r.returncode == 0, r.stderr[-3000:]
    assert "pymodbus==3.8" in result["pins"] and "pydantic==2.6" in result["pins"]
    assert " passed" in result["result"] and "failed" not in result["result"]
