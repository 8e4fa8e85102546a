"""A loopback TCP relay whose live connections can be frozen: a pulled cable, not a closed socket."""

from __future__ import annotations

import socket
import threading


class FreezableRelay:
    """Listens on 127.0.0.1:<free port> and relays to `upstream`. `freeze()` makes every
    connection open at that moment swallow bytes in both directions while staying open (no
    FIN, no RST), the way a dead link looks to both ends; new connections work normally.
    `accepted` counts the TCP connections clients opened through it."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._live: list[dict] = []
        self._closed = False
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            conn = {"frozen": False, "sockets": (client, upstream)}
            with self._lock:
                self._live.append(conn)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(conn, src, dst), daemon=True).start()

    def _pump(self, conn: dict, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not conn["frozen"]:
                    dst.sendall(data)
        except OSError:
            pass
        if not conn["frozen"]:
            for s in conn["sockets"]:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def freeze(self) -> int:
        """Freeze every open connection; returns how many."""
        with self._lock:
            for conn in self._live:
                conn["frozen"] = True
            n = len(self._live)
            self._live = []
            return n

    def close(self) -> None:
        self._closed = True
        self.listener.close()
