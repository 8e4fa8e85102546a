"""A stand-in for systemd's notify socket: a unix datagram socket the test reads."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time


class NotifySocket:
    def __init__(self):
        # A short path: unix socket paths are limited to 107 bytes.
        self.dir = tempfile.mkdtemp(prefix="ow-notify-")
        os.chmod(self.dir, 0o755)    # the cage test's unprivileged user sends here too
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)
        self.messages: list[tuple[float, str]] = []

    def env(self, watchdog_usec: int | None = None) -> dict:
        env = {"NOTIFY_SOCKET": self.path}
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        return env

    def collect(self, seconds: float) -> list[str]:
        """Every message that arrives within `seconds` (one entry per line)."""
        got: list[str] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                break
            for line in data.decode().splitlines():
                self.messages.append((time.monotonic(), line))
                got.append(line)
        return got

    def wait_for(self, line: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if line in self.collect(min(0.2, max(0.0, deadline - time.monotonic()))):
                return True
        return False

    def drain(self) -> None:
        self.collect(0.05)

    def close(self) -> None:
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)
