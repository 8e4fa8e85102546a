"""Each role's extra is enough for that role's program and no more: with every locked
distribution that is NOT in the role's closure made unimportable, the role's modules import
and its command answers --help. Catches an import a role needs but does not declare."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

ROLE_MODULES = {
    "hall": ["hall.api.app", "hall.api.cli", "hall.cli", "hall.devices", "hall.notices",
             "hall.reports_period", "drivers.bus.master", "drivers.bus.codec", "sync.cli",
             "sync.runner", "sync.client", "sync.notice_sender"],
    "kiosk": ["kiosk.app", "kiosk.cli", "kiosk.viewmodel", "kiosk.worker", "kiosk.devices",
              "onewindow.client", "drivers.printer.device", "drivers.printer.codec",
              "drivers.transport", "drivers.scanner.device", "onewindow.secrets"],
    "display": ["caller_display.app", "caller_display.cli", "caller_display.follower",
                "caller_display.voice", "caller_display.screen", "onewindow.client"],
}
# Every module of the packages a role runs, so that a new module is covered the day it lands.
ROLE_PACKAGES = {"hall": ["hall", "sync", "drivers/bus"], "kiosk": ["kiosk", "drivers/printer",
                 "drivers/scanner"], "display": ["caller_display"]}


def _modules(role: str) -> list[str]:
    mods = []
    for pkg in ROLE_PACKAGES[role]:
        for f in sorted((REPO / pkg).rglob("*.py")):
            rel = f.relative_to(REPO).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            mods.append(".".join(parts))
    return sorted(set(mods) | set(ROLE_MODULES[role]))


ROLE_COMMANDS = {"hall": ["hall", "sync", "notices", "db"], "kiosk": ["kiosk", "print-test"],
                 "display": ["display"]}

BLOCKER = r"""
import importlib, importlib.abc, json, sys
blocked = set(json.loads(sys.argv[1]))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (not in this role)", name=name)
sys.meta_path.insert(0, Block())
for m in json.loads(sys.argv[2]):
    importlib.import_module(m)
from onewindow.cli import main
for cmd in json.loads(sys.argv[3]):
    try:
        main([cmd, "--help"])
    except SystemExit as exc:
        assert exc.code == 0, (cmd, exc.code)
print("ok")
"""


def _top_level(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        names = {n.split("/")[0] for n in z.namelist()}
    return {n[:-3] if n.endswith(".py") else n for n in names
            if not n.endswith((".dist-info", ".data")) and not n.endswith(".libs")}


def _dist(wheel: Path) -> str:
    return wheel.name.split("-")[0].lower().replace("_", "-")


@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(ROLE_MODULES))
def test_a_role_runs_with_only_its_declared_dependencies(role, wheelhouse_dir):
    req = (wheelhouse_dir / f"requirements-{role}.txt").read_text()
    closure = {line.split("==")[0] for line in req.splitlines() if "==" in line}
    blocked = set()
    for wheel in wheelhouse_dir.glob("*.whl"):
        if _dist(wheel) not in closure and _dist(wheel) != "onewindow":
            blocked |= _top_level(wheel)
    blocked -= {"onewindow", "hall", "kiosk", "caller_display", "drivers", "sync", "central"}
    if role == "hall":
        assert {"PySide6", "usb"} <= blocked
    if role == "kiosk":
        assert {"matplotlib", "fastapi", "uvicorn"} <= blocked
    r = subprocess.run([sys.executable, "-c", BLOCKER, json.dumps(sorted(blocked)),
                        json.dumps(_modules(role)), json.dumps(ROLE_COMMANDS[role])],
                       capture_output=True, text=True, cwd=REPO, timeout=120,
                       env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-2000:]
