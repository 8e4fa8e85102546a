"""The declared lower bounds, tested: a venv with every direct runtime dependency of
onewindow[hall,kiosk,display] at exactly its minimum from setup.cfg (transitive ones as the
resolver picks them), then a smoke subset of the tests in it.

    python packaging/minimums.py            # builds or reuses the venv, runs the smoke tests

The venv is cached under ~/.cache/onewindow/minimums/<hash of the pins> (or
$ONEWINDOW_MINIMUMS_CACHE), so only a change of a lower bound rebuilds it. Prints one JSON
line: the pins and the pytest result."""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("hall", "kiosk", "display")
# One module of tests per dependency that matters: pydantic (config), fastapi/uvicorn/httpx
# (the API over real HTTP), pymodbus/pyserial (the window bus), PySide6 (kiosk client and
# display state), argon2 (staff PINs); matplotlib through the report chart setup below.
SMOKE = [
    "tests/hall/test_config.py",
    "tests/drivers/test_bus.py",
    "tests/api/test_tickets.py",
    "tests/api/test_auth.py",
    "tests/kiosk/test_kiosk_client.py",
    "tests/display/test_state.py",
]
CHART = """
from hall.reports_period import _pyplot
plt = _pyplot()
fig, ax = plt.subplots()
ax.bar(["办结", "等候"], [3, 5])
import io
buf = io.BytesIO()
fig.savefig(buf, format="png")
assert buf.getvalue()[:4] == b"\\x89PNG"
"""
TEST_TOOLS = ["pytest>=8,<10", "pytest-timeout>=2.2,<3", "pytest-qt>=4.4,<5",
              "hypothesis>=6.100,<7"]


def minimum_pins() -> list[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    reqs = cfg["options"]["install_requires"].split("\n")
    extras = cfg["options.extras_require"]
    for role in ROLES:
        reqs += extras[role].split("\n")
    pins = {}
    for req in (r.strip() for r in reqs):
        m = re.match(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)", req)
        if m:
            pins[m.group(1).lower()] = f"{m.group(1).lower()}{m.group(2) or ''}=={m.group(3)}"
    return sorted(pins.values())


def venv_for(pins: list[str]) -> Path:
    key = hashlib.sha256("\n".join(pins + TEST_TOOLS).encode()).hexdigest()[:16]
    base = Path(os.environ.get("ONEWINDOW_MINIMUMS_CACHE") or
                Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "onewindow" / "minimums")
    venv = base / key
    if (venv / "ready").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    python = os.environ.get("ONEWINDOW_PYTHON", "/usr/bin/python3")
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet",
                    "--only-binary=:all:", *pins, *TEST_TOOLS], check=True)
    (venv / "ready").write_text("\n".join(pins) + "\n")
    return venv


def main() -> int:
    pins = minimum_pins()
    venv = venv_for(pins)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([str(venv / "bin/python"), "-m", "pytest", "-q", "-x",
                        "-p", "no:cacheprovider", *SMOKE], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    tail = (r.stdout.strip().splitlines() or [""])[-1]
    chart = subprocess.run([str(venv / "bin/python"), "-c", CHART], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    if chart.returncode:
        sys.stderr.write(chart.stderr[-2000:])
        r.returncode = r.returncode or chart.returncode
    if r.returncode:
        sys.stderr.write(r.stdout[-4000:] + r.stderr[-2000:])
    print(json.dumps({"pins": pins, "venv": str(venv), "returncode": r.returncode,
                      "result": tail}, ensure_ascii=False))
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
