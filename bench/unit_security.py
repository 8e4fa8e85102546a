"""`systemd-analyze security` exposure of every OneWindow unit (0 = locked down, 10 = open).

    python bench/unit_security.py

Aims: hall <= 4.0, kiosk and display <= 5.0 (they need a seat, a GPU, input and sound).
Baseline in the same run: a unit with the same ExecStart= and User= and no sandboxing, so
the ratio says how much of the exposure the hardening removed. Prints one JSON object."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AIMS = {"onewindow-hall.service": 4.0, "onewindow-kiosk.service": 5.0,
        "onewindow-display.service": 5.0}


def exposure(path: Path) -> float:
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(path)],
                       capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout + r.stderr)
    if not m:
        raise SystemExit(f"no exposure for {path.name}: {r.stdout[-300:]}{r.stderr[-300:]}")
    return float(m.group(1))


def main() -> int:
    result = {"units": {}, "baseline": {}, "ratio": {}, "aims": AIMS}
    with tempfile.TemporaryDirectory() as tmp:
        for unit in sorted((REPO / "systemd").glob("onewindow-*.service")):
            score = exposure(unit)
            keep = [line for line in unit.read_text().splitlines()
                    if line.startswith(("[", "Description=", "ExecStart=", "User=", "Type="))]
            bare = Path(tmp) / unit.name
            bare.write_text("\n".join(keep) + "\n")
            base = exposure(bare)
            result["units"][unit.name] = score
            result["baseline"][unit.name] = base
            result["ratio"][unit.name] = round(score / base, 3) if base else None
    result["within_aims"] = all(result["units"][u] <= a for u, a in AIMS.items())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
