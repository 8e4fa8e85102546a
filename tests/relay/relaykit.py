"""A hall relaying its phone page through a real central, over a link a test can cut."""

from __future__ import annotations

import secrets
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hallserver import HallServer  # noqa: E402


class CuttableLink:
    """A loopback TCP proxy to `upstream_port`; `cut()` resets every connection and refuses
    new ones (the hall's uplink is down), `restore()` lets connections through again."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.up = True
        self._lock = threading.Lock()
        self._live: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._live += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass

    def cut(self) -> None:
        self.up = False
        with self._lock:
            for s in self._live:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self._live.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def relay_config(tmp_path: Path, central_url: str, secret: str, heartbeat: float = 1.0) -> Path:
    from hall.config import write_example_config

    path = write_example_config(tmp_path / "hall.toml")
    text = path.read_text(encoding="utf-8")
    text = text.replace('central_url = ""', f'central_url = "{central_url}"', 1)
    text = text.replace('hall_key = ""', f'hall_key = "{secret}"', 1)
    text = text.replace("[relay]\nenabled = false", "[relay]\nenabled = true", 1)
    text = text.replace("heartbeat_seconds = 5 ", f"heartbeat_seconds = {heartbeat} ", 1)
    path.write_text(text, encoding="utf-8")
    return path


class RelayedHall:
    """Central (SQLite) + a link + a hall node whose relay pushes through that link."""

    def __init__(self, tmp_path: Path, *, stale_after: float = 3.0) -> None:
        from central.server import CentralServer

        self.tmp_path = tmp_path
        self.central = CentralServer(f"sqlite:///{tmp_path / 'central.db'}").start()
        self.central.app.state.relay.stale_after = stale_after
        self.secret = secrets.token_hex(32)
        self.link = CuttableLink(self.central.port)
        config_path = relay_config(tmp_path, self.link.url, self.secret)
        from hall.config import load_config

        self.hall_id = load_config(config_path).hall.id
        self.central.db.add_hall(self.hall_id, "测试大厅", self.secret)
        self.hall = HallServer(tmp_path, config_path=config_path).start()
        self.kiosk = self.hall.device_token("kiosk", "kiosk-1")
        self.api = self.hall.url + "/api/v1"

    def clerk(self, window_id: str = "w03") -> dict:
        token = self.hall.staff_token("c1", window_id=window_id)
        httpx.post(f"{self.api}/windows/{window_id}/open", headers={"Authorization": f"Bearer {token}"})
        return {"Authorization": f"Bearer {token}"}

    def issue(self, service_id: str = "biz-setup") -> dict:
        r = httpx.post(self.api + "/tickets", json={"service_id": service_id},
                       headers={"Authorization": f"Bearer {self.kiosk}", "Idempotency-Key": uuid.uuid4().hex})
        r.raise_for_status()
        return r.json()

    def central_view(self, token: str) -> httpx.Response:
        return httpx.get(f"{self.central.url}/api/v1/tickets/{token}", timeout=5)

    def wait_central(self, token: str, predicate, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            r = self.central_view(token)
            if r.status_code == 200:
                last = r.json()
                if predicate(last):
                    return last
            time.sleep(0.05)
        raise AssertionError(f"central's view never matched; last: {last}")

    def wait_hall_rating(self, ticket_id: str, timeout: float = 5.0) -> tuple:
        """(level, channel) of the ticket's rating once the hall has it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.hall.store.read() as db:
                row = db.execute("SELECT level, channel FROM ratings WHERE ticket_id = ?",
                                 (ticket_id,)).fetchone()
            if row is not None:
                return tuple(row)
            time.sleep(0.05)
        raise AssertionError("the rating never reached the hall")

    def close(self) -> None:
        self.hall.stop()
        self.link.close()
        self.central.stop()

    def __enter__(self) -> RelayedHall:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
