"""Run the central under uvicorn: in the foreground (the CLI) or in a thread (tests, demo, bench)."""

from __future__ import annotations

import ssl
import threading
import time

import uvicorn

from central.app import create_app
from central.db import CentralDB
from onewindow.httpguard import DEFAULT_HEAD_TIMEOUT, guarded_h11

# A 16 MiB batch over a slow city link: allow a minute for the body.
CENTRAL_BODY_TIMEOUT = 60.0


class CentralServer:
    """The central on 127.0.0.1 with an ephemeral port, in a background thread."""

    def __init__(self, db_url: str, *, host: str = "127.0.0.1", port: int = 0,
                 certfile: str | None = None, keyfile: str | None = None,
                 admin_token: str | None = None, clock=time.time, db: CentralDB | None = None,
                 head_timeout: float = DEFAULT_HEAD_TIMEOUT,
                 body_timeout: float = CENTRAL_BODY_TIMEOUT, client_ca: str | None = None):
        self.db = db or CentralDB(db_url)
        self.app = create_app(self.db, admin_token=admin_token, clock=clock)
        config = uvicorn.Config(self.app, host=host, port=port, log_level="warning",
                                http=guarded_h11(head_timeout, body_timeout),
                                ssl_certfile=certfile, ssl_keyfile=keyfile, access_log=False,
                                ssl_ca_certs=client_ca,
                                ssl_cert_reqs=ssl.CERT_REQUIRED if client_ca else ssl.CERT_NONE,
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.scheme = "https" if certfile else "http"
        self.thread: threading.Thread | None = None

    def start(self) -> CentralServer:
        self.thread = threading.Thread(target=self.server.run, name="central", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("central did not start")
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread:
            self.thread.join(timeout=10)
        self.db.close()

    def __enter__(self) -> CentralServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
