"""Read systemd unit files the way the tests need them (no systemd as PID 1 here)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

# A token, key or password given on a command line (visible in ps to every user).
SECRET_ON_ARGV = re.compile(
    r"(--token(?![-\w])|--hall-key(?![-\w])|--key(?![-\w])|--password\b|"  # a secret flag
    r"\$\{?[A-Z_]*(?:TOKEN|KEY|PASSWORD|SECRET)\b|"                          # an env secret
    r"hall_key|\b[0-9a-fA-F]{32,}\b)")                                        # a key itself


def parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """{section: {key: [values...]}}, continuation lines joined, comments dropped."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def command(value: str) -> list[str]:
    """An Exec*= line as argv (systemd's prefixes - @ + ! : removed)."""
    value = value.lstrip("-@+!:")
    return shlex.split(value)


def environment(service: dict[str, list[str]]) -> dict[str, str]:
    env = {}
    for value in service.get("Environment", []):
        for item in shlex.split(value):
            k, _, v = item.partition("=")
            env[k] = v
    return env


def exec_lines(service: dict[str, list[str]]) -> list[str]:
    return [v for k, vs in service.items() if k.startswith("Exec") for v in vs]
