"""The central's memory under hostile uploads (issue 15): a 200 MiB chunked POST without
credentials, and a signed one over the 16 MiB limit. Before the fix the first took the central
from 69 MB to 459 MB (it read the whole body before authenticating).

Baseline, measured in the same run: the central's peak RSS after starting and taking one
ordinary signed batch. Prints one JSON object on the last line: peak RSS (VmHWM) after each
upload, its ratio to the baseline, and how many bytes went out before the central answered.
"""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from central.db import CentralDB  # noqa: E402
from sync import signing  # noqa: E402

HALL = "bench-hall"
HOSTILE = 200 * 1024 * 1024


def _status(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0   # MiB
    return float("nan")


def _pump(port: int, head: str) -> tuple[int, bytes, float]:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(head.encode())
    frame = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
    sent, started = 0, time.perf_counter()
    sock.setblocking(False)
    while sent < HOSTILE:
        readable, writable, _ = select.select([sock], [sock], [], 5)
        if readable:
            break
        if writable:
            try:
                sent += sock.send(frame)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                break
    sock.setblocking(True)
    sock.settimeout(30)
    try:
        answer = sock.recv(64)
    except OSError:
        answer = b""
    sock.close()
    return sent, answer.split(b"\r\n")[0], time.perf_counter() - started


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ow-bench-hostile-"))
    db = CentralDB(f"sqlite:///{tmp / 'c.db'}")
    secret = signing.new_secret()
    db.add_hall(HALL, "bench", secret)
    db.close()
    port_file = tmp / "port"
    proc = subprocess.Popen([sys.executable, "-m", "central.cli", "--db", str(tmp / "c.db"),
                             "--port", "0", "--port-file", str(port_file)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        while not port_file.exists():
            time.sleep(0.05)
        port = int(port_file.read_text())
        body = json.dumps({"after": 0, "events": [
            {"seq": 1, "id": "e1", "type": "ticket.issued", "at": 1.0,
             "business_date": "2026-11-28", "payload": {}}]}).encode()
        ok = httpx.post(f"http://127.0.0.1:{port}/sync/v1/events", content=body,
                        headers=signing.sign_headers(HALL, secret, "POST", "/sync/v1/events", body))
        assert ok.status_code == 200, ok.text
        baseline = _status(proc.pid, "VmHWM")
        unauth = _pump(port, "POST /sync/v1/events HTTP/1.1\r\nHost: c\r\n"
                             "Transfer-Encoding: chunked\r\nX-OW-Hall: bench-hall\r\n\r\n")
        after_unauth = _status(proc.pid, "VmHWM")
        signed = signing.sign_headers(HALL, secret, "POST", "/sync/v1/events", b"big")
        head = "".join(f"{k}: {v}\r\n" for k, v in signed.items())
        auth = _pump(port, f"POST /sync/v1/events HTTP/1.1\r\nHost: c\r\n"
                           f"Transfer-Encoding: chunked\r\n{head}\r\n")
        after_auth = _status(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(json.dumps({
        "baseline_peak_rss_mib": round(baseline, 1),
        "unauthenticated_200mib": {"answer": unauth[1].decode(), "sent_mib": round(unauth[0] / 2**20, 2),
                                   "seconds": round(unauth[2], 3),
                                   "peak_rss_mib": round(after_unauth, 1),
                                   "ratio_to_baseline": round(after_unauth / baseline, 3)},
        "signed_over_limit": {"answer": auth[1].decode(), "sent_mib": round(auth[0] / 2**20, 2),
                              "seconds": round(auth[2], 3), "peak_rss_mib": round(after_auth, 1),
                              "ratio_to_baseline": round(after_auth / baseline, 3)},
    }))


if __name__ == "__main__":
    main()
