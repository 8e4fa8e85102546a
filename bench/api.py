"""Benchmark of the hall HTTP API: ticket issue over HTTP, and call-to-stream delivery latency.

Runs a real hall node (`python -m hall.api.cli hall`) in a subprocess on a loopback port and
drives it from this process. The baseline, measured in the same run, is the in-process engine:
issue_ticket() called directly, and call_next() to an EventFeed waiter in another thread.
Prints one JSON object on the last line.

    .venv/bin/python bench/api.py [--issues 2000] [--calls 20] [--clients 1,500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def ms(x: float) -> float:
    return round(x * 1000, 2)


# -- baseline: the engine in this process --------------------------------------------------------
def baseline(tmp: Path, issues: int, calls: int) -> dict:
    from hall.config import load_config
    from hall.engine import Engine
    from hall.events import EventFeed
    from hall.store import Store

    config = load_config(tmp / "hall.toml")
    store = Store.open(tmp / "baseline.db")
    engine = Engine(store, config, feed=EventFeed())
    lat = []
    t0 = time.perf_counter()
    for _ in range(issues):
        s = time.perf_counter()
        engine.issue_ticket("biz-setup", idempotency_key=uuid.uuid4().hex)
        lat.append(time.perf_counter() - s)
    issue_rate = issues / (time.perf_counter() - t0)

    engine.add_staff("b1", "基准", "clerk")
    engine.sign_in("w03", "b1")
    engine.open_window("w03")
    feed = engine.feed
    delivery = []
    for _ in range(calls):
        before = feed.last_seq
        woke: list[float] = []

        def wait(b=before, woke=woke):
            if feed.wait_after(b, 5):
                woke.append(time.perf_counter())

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.005)  # let the waiter block, as a stream client would be
        sent = time.perf_counter()
        engine.call_next("w03")
        waiter.join()
        delivery.append(woke[0] - sent)
        engine.finish("w03", "completed")
    store.close()
    return {"issue_per_s": round(issue_rate, 1), "issue_p50_ms": ms(pct(lat, 50)),
            "issue_p99_ms": ms(pct(lat, 99)), "call_to_feed_p50_ms": ms(pct(delivery, 50)),
            "call_to_feed_p99_ms": ms(pct(delivery, 99))}


# -- the hall node over HTTP ------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_hall(tmp: Path) -> tuple[subprocess.Popen, str, dict]:
    from hall.api.cli import add_staff
    from hall.auth import AuthService
    from hall.config import load_config
    from hall.engine import Engine
    from hall.store import Store

    db = tmp / "http.db"
    store = Store.open(db)
    engine = Engine(store, load_config(tmp / "hall.toml"))
    auth = AuthService(store)
    tokens = {"kiosk": auth.add_device("kiosk", "bench-kiosk")[1],
              "display": auth.add_device("display", "bench-display")[1]}
    add_staff(store, engine, "c1", "基准", "clerk", "246810")
    store.close()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hall.api.cli", "hall", "--config", str(tmp / "hall.toml"),
                             "--db", str(db), "--port", str(port)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(200):
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    r = httpx.post(url + "/api/v1/session", json={"staff_id": "c1", "pin": "246810", "window_id": "w03"})
    tokens["clerk"] = r.json()["token"]
    return proc, url, tokens


async def http_issue(url: str, token: str, n: int, concurrency: int) -> dict:
    """Issue `n` tickets over `concurrency` keep-alive connections. The client is a few lines
    of raw HTTP/1.1 so that it takes little of the CPU the server needs (2 cores shared)."""
    host, port = url.removeprefix("http://").split(":")
    body = b'{"service_id":"biz-setup"}'
    lat: list[float] = []
    statuses: dict[int, int] = {}
    remaining = [n]

    async def worker():
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while remaining[0] > 0:
                remaining[0] -= 1
                request = (f"POST /api/v1/tickets HTTP/1.1\r\nHost: {host}\r\n"
                           f"Authorization: Bearer {token}\r\nIdempotency-Key: {uuid.uuid4().hex}\r\n"
                           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                           ).encode() + body
                s = time.perf_counter()
                writer.write(request)
                status = int((await reader.readline()).split()[1])
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                lat.append(time.perf_counter() - s)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    return {"issue_per_s": round(n / elapsed, 1), "issue_p50_ms": ms(pct(lat, 50)),
            "issue_p99_ms": ms(pct(lat, 99)), "statuses": statuses, "concurrency": concurrency}


async def stream_latency(url: str, tokens: dict, clients: int, calls: int) -> dict:
    """`clients` SSE connections; `calls` call-next; latency from sending the call to each
    client reading its ticket.called event."""
    import httpx

    host, port = url.removeprefix("http://").split(":")
    received: dict[str, list[float]] = {}
    connected = 0
    all_in = asyncio.Event()

    async def client(i: int):
        nonlocal connected
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write((f"GET /api/v1/events/stream HTTP/1.1\r\nHost: {host}\r\n"
                      f"Authorization: Bearer {tokens['display']}\r\nAccept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        connected += 1
        if connected == clients:
            all_in.set()
        event = None
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"event: "):
                    event = line[7:].strip()
                elif line.startswith(b"data: ") and event == b"ticket.called":
                    now = time.perf_counter()
                    number = json.loads(line[6:])["payload"]["number"]
                    received.setdefault(number, []).append(now)
        finally:
            writer.close()

    tasks = [asyncio.create_task(client(i)) for i in range(clients)]
    await asyncio.wait_for(all_in.wait(), 60)
    await asyncio.sleep(0.5 + clients / 500)  # let every stream reach its wait
    lat: list[float] = []
    missing = 0
    async with httpx.AsyncClient(base_url=url, timeout=30,
                                 headers={"Authorization": f"Bearer {tokens['clerk']}"}) as clerk, \
            httpx.AsyncClient(base_url=url, timeout=30,
                              headers={"Authorization": f"Bearer {tokens['kiosk']}"}) as kiosk:
        await clerk.post("/api/v1/windows/w03/open")
        for _ in range(calls):
            await kiosk.post("/api/v1/tickets", json={"service_id": "biz-change"},
                             headers={"Idempotency-Key": uuid.uuid4().hex})
        for _ in range(calls):
            sent = time.perf_counter()
            r = await clerk.post("/api/v1/windows/w03/call-next")
            number = r.json()["ticket"]["number"]
            deadline = time.perf_counter() + 5
            while len(received.get(number, [])) < clients and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
            got = received.get(number, [])
            missing += clients - len(got)
            lat.extend(t - sent for t in got)
            await clerk.post("/api/v1/windows/w03/finish", json={"outcome": "completed"})
            await asyncio.sleep(0.05)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"clients": clients, "calls": calls, "deliveries": len(lat), "missing": missing,
            "p50_ms": ms(pct(lat, 50)), "p99_ms": ms(pct(lat, 99)),
            "max_ms": ms(max(lat)) if lat else None}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--issues", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--clients", default="1,500")
    args = ap.parse_args()
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    from hall.config import write_example_config

    result: dict = {"bench": "api", "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        write_example_config(tmp / "hall.toml")
        # A benchmark issues thousands of tickets: lift the daily quotas (号源) out of the way.
        text = (tmp / "hall.toml").read_text(encoding="utf-8")
        (tmp / "hall.toml").write_text(re.sub(r"(?m)^daily_cap\s*=.*$", "daily_cap = 9999", text),
                                       encoding="utf-8")
        result["baseline_in_process"] = baseline(tmp, min(args.issues, 2000), args.calls)
        proc, url, tokens = start_hall(tmp)
        try:
            result["http_issue"] = asyncio.run(http_issue(url, tokens["kiosk"], args.issues, args.concurrency))
            streams = {}
            for n in [int(x) for x in args.clients.split(",")]:
                streams[str(n)] = asyncio.run(stream_latency(url, tokens, n, args.calls))
            result["stream"] = streams
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    base = result["baseline_in_process"]
    http = result["http_issue"]
    result["ratios"] = {
        "http_issue_rate_vs_engine": round(http["issue_per_s"] / base["issue_per_s"], 3),
        **{f"stream_p99_{n}_vs_feed": round(s["p99_ms"] / max(base["call_to_feed_p99_ms"], 0.001), 1)
           for n, s in result["stream"].items()},
    }
    one = result["stream"].get("1", {})
    many = result["stream"].get("500", {})
    result["targets"] = {
        "issue_per_s>=300": http["issue_per_s"] >= 300,
        "stream_p99_1_client<=50ms": bool(one) and one["p99_ms"] <= 50,
        "stream_p99_500_clients<=250ms": bool(many) and many["p99_ms"] <= 250 and many["missing"] == 0,
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
