"""ESC/POS printer simulator on TCP or a pty: records jobs, answers DLE EOT, has fault knobs."""

from __future__ import annotations

import os
import select
import socket
import threading
import time

from ..transport import register_sim, unregister_sim
from .pty import PtyPort

PAPER_BYTE = {"ok": 0x12, "near_end": 0x1E, "out": 0x7E}


class PrinterSimulator:
    """A thermal printer in software. Knobs: paper ok/near_end/out, cover_open, offline, mute.

    Jobs are the bytes received between status queries, split on the cut command; a job
    sent while the printer cannot print is recorded in `rejected` (a real printer would drop
    or hold it; either way no paper comes out).
    Use `with PrinterSimulator.tcp() as sim:` or `PrinterSimulator.pty()`; `sim.url` is what
    a Printer opens.
    """

    def __init__(self, kind: str, name: str | None = None):
        self.kind = kind
        self.paper = "ok"
        self.cover_open = False
        self.offline = False
        self.mute = False
        self.jobs: list[bytes] = []
        self.rejected: list[bytes] = []
        self.status_queries = 0
        self._buf = bytearray()
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.name = name
        self._server: socket.socket | None = None
        self._port: PtyPort | None = None
        self.url = ""

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def tcp(cls, name: str | None = None, host: str = "127.0.0.1", port: int = 0) -> PrinterSimulator:
        sim = cls("tcp", name)
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((host, port))
        srv.listen(8)
        srv.settimeout(0.1)
        sim._server = srv
        sim.url = f"tcp://{host}:{srv.getsockname()[1]}"
        sim._spawn(sim._accept_loop)
        sim._register()
        return sim

    @classmethod
    def pty(cls, name: str | None = None) -> PrinterSimulator:
        sim = cls("pty", name)
        sim._port = PtyPort("printer")
        sim.url = f"serial://{sim._port.path}?baud=9600"
        sim._spawn(sim._pty_loop)
        sim._register()
        return sim

    def _register(self) -> None:
        if self.name:
            register_sim(self.name, self.url)

    def _spawn(self, fn, *args) -> None:
        t = threading.Thread(target=fn, args=args, daemon=True, name=f"printer-sim-{self.kind}")
        t.start()
        self._threads.append(t)

    # -- state ------------------------------------------------------------------------------
    def set_state(self, *, paper: str | None = None, cover_open: bool | None = None,
                  offline: bool | None = None, mute: bool | None = None) -> None:
        if paper is not None:
            if paper not in PAPER_BYTE:
                raise ValueError(f"paper must be one of {list(PAPER_BYTE)}")
            self.paper = paper
        if cover_open is not None:
            self.cover_open = cover_open
        if offline is not None:
            self.offline = offline
        if mute is not None:
            self.mute = mute

    @property
    def can_print(self) -> bool:
        return not (self.offline or self.mute or self.cover_open or self.paper == "out")

    def _reply(self, n: int) -> bytes:
        if self.mute:
            return b""
        if n == 1:
            stopped = self.offline or self.cover_open or self.paper == "out"
            return bytes((0x12 | (0x08 if stopped else 0),))
        if n == 2:
            return bytes((0x12 | (0x04 if self.cover_open else 0) | (0x20 if self.paper == "out" else 0),))
        if n == 3:
            return b"\x12"
        if n == 4:
            return bytes((PAPER_BYTE[self.paper],))
        return b""

    def _feed(self, data: bytes) -> bytes:
        """Consume received bytes; return the replies to send.

        Like a real printer, DLE EOT n is answered wherever it appears between commands (also
        glued to the end of a job), but never inside a QR or image payload, whose lengths are
        known from their headers. A job ends at a cut (GS V).
        """
        out = bytearray()
        with self._cv:
            self._buf += data
            buf = self._buf
            i = 0
            while i < len(buf):
                b = buf[i]
                if b == 0x10 and i + 1 < len(buf) and buf[i + 1] == 0x04:
                    if i + 2 >= len(buf):
                        break                                   # query still arriving
                    self.status_queries += 1
                    out += self._reply(buf[i + 2])
                    del buf[i:i + 3]
                    continue
                if b == 0x1D and i + 1 < len(buf):
                    c = buf[i + 1]
                    if c == 0x28:                               # GS ( k pL pH ...
                        if i + 4 >= len(buf):
                            break
                        size = 5 + (buf[i + 3] | (buf[i + 4] << 8))
                    elif c == 0x76:                             # GS v 0 m xL xH yL yH ...
                        if i + 7 >= len(buf):
                            break
                        size = 8 + (buf[i + 4] | (buf[i + 5] << 8)) * (buf[i + 6] | (buf[i + 7] << 8))
                    elif c == 0x56:                             # GS V m [n]: the cut
                        if i + 2 >= len(buf):
                            break
                        size = 4 if buf[i + 2] in (65, 66, 97, 98) else 3
                    else:
                        i += 1
                        continue
                    if i + size > len(buf):
                        break                                   # payload still arriving
                    if c == 0x56:
                        job = bytes(buf[:i + size])
                        del buf[:i + size]
                        (self.jobs if self.can_print else self.rejected).append(job)
                        i = 0
                        continue
                    i += size
                    continue
                i += 1
            self._cv.notify_all()
        return bytes(out)

    def wait_for_job(self, timeout: float = 2.0, count: int = 1) -> bytes | None:
        """The `count`-th job (1-based) once it has arrived, or None after timeout."""
        deadline = time.monotonic() + timeout
        with self._cv:
            while len(self.jobs) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cv.wait(left)
            return self.jobs[count - 1]

    # -- loops ------------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            self._spawn(self._conn_loop, conn)

    def _conn_loop(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not data:
                    return
                reply = self._feed(data)
                if reply:
                    try:
                        conn.sendall(reply)
                    except OSError:
                        return

    def _pty_loop(self) -> None:
        assert self._port is not None
        while not self._stop.is_set():
            fd = self._port.master
            if fd is None:
                time.sleep(0.02)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(fd, 65536)
            except OSError:
                time.sleep(0.02)   # unplugged or reopened: wait for the next pty
                continue
            reply = self._feed(data)
            if reply:
                try:
                    os.write(fd, reply)
                except OSError:
                    pass

    def unplug(self) -> None:
        if self._port:
            self._port.unplug()

    def replug(self) -> None:
        if self._port:
            self._port.replug()

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.close()
        for t in self._threads:
            t.join(timeout=1)
        if self._port is not None:
            self._port.close()
        if self.name:
            unregister_sim(self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
