"""Benchmark of the phone-page relay: a call at the window to the phones following it.

Runs central (`onewindow central`) and a hall node (`python -m hall.api.cli hall`, relay on)
as two subprocesses on loopback, issues `--phones` tickets and opens one ticket stream per
ticket — the phones — first on the hall's own page (the baseline, the hall's Wi-Fi path),
then on central's relayed page (mobile data), in the same run. For each of `--calls`
call-next at the window it records how long until the called phone shows "called" and until
every other phone shows its new place in the queue. Prints one JSON object on the last line.

    .venv/bin/python bench/relay.py [--phones 500] [--calls 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.api import free_port, ms, pct  # noqa: E402 - the same figures as the API bench


def wait_up(url: str, path: str) -> None:
    import httpx

    for _ in range(300):
        try:
            if httpx.get(url + path, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def start(tmp: Path) -> tuple[list[subprocess.Popen], str, str, dict]:
    from central.db import CentralDB
    from hall.api.cli import add_staff
    from hall.auth import AuthService
    from hall.config import load_config, write_example_config
    from hall.engine import Engine
    from hall.store import Store

    central_port, hall_port = free_port(), free_port()
    central_url = f"http://127.0.0.1:{central_port}"
    secret = secrets.token_hex(32)
    cfg_path = write_example_config(tmp / "hall.toml")
    text = cfg_path.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^daily_cap\s*=.*$", "daily_cap = 9999", text)
    text = text.replace('central_url = ""', f'central_url = "{central_url}"', 1)
    text = text.replace('hall_key = ""', f'hall_key = "{secret}"', 1)
    text = text.replace("[relay]\nenabled = false", "[relay]\nenabled = true", 1)
    cfg_path.write_text(text, encoding="utf-8")
    config = load_config(cfg_path)
    central_db = CentralDB(f"sqlite:///{tmp / 'central.db'}")
    central_db.add_hall(config.hall.id, "bench", secret)
    central_db.close()
    db = tmp / "hall.db"
    store = Store.open(db)
    engine = Engine(store, config)
    auth = AuthService(store)
    tokens = {"kiosk": auth.add_device("kiosk", "bench-kiosk")[1]}
    add_staff(store, engine, "c1", "基准", "clerk", "246810")
    store.close()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
             "cwd": REPO}
    procs = [subprocess.Popen([sys.executable, "-m", "onewindow.cli", "central", "--db",
                               f"sqlite:///{tmp / 'central.db'}", "--port", str(central_port)], **quiet),
             subprocess.Popen([sys.executable, "-m", "hall.api.cli", "hall", "--config", str(cfg_path),
                               "--db", str(db), "--port", str(hall_port)], **quiet)]
    hall_url = f"http://127.0.0.1:{hall_port}"
    wait_up(central_url, "/health")
    wait_up(hall_url, "/api/v1/health")
    import httpx

    r = httpx.post(hall_url + "/api/v1/session", json={"staff_id": "c1", "pin": "246810", "window_id": "w03"})
    tokens["clerk"] = r.json()["token"]
    return procs, hall_url, central_url, tokens


async def follow(url: str, token: str, log: list, ready: asyncio.Event, counter: list, total: int,
                 source: str) -> None:
    """One phone: the ticket's SSE stream; logs (time, state, ahead) for each status event.
    Phones come from many addresses (127.0.x.y), as from many phones: both the hall and
    central cap streams and requests per address."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), local_addr=(source, 0))
    writer.write((f"GET /api/v1/tickets/{token}/stream HTTP/1.1\r\nHost: {host}\r\n"
                  f"Accept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    event = None
    first = True
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            if line.startswith(b"event: "):
                event = line[7:].strip()
            elif line.startswith(b"data: ") and event == b"status":
                view = json.loads(line[6:])
                log.append((time.perf_counter(), view.get("state"), view.get("ahead")))
                if first:
                    first = False
                    counter[0] += 1
                    if counter[0] == total:
                        ready.set()
    finally:
        writer.close()


async def run_path(name: str, url: str, hall_url: str, tokens: dict, tickets: list[dict], calls: int,
                   settle: float) -> dict:
    import httpx

    logs = {t["token"]: [] for t in tickets}
    ready = asyncio.Event()
    counter = [0]
    tasks = [asyncio.create_task(follow(url, t["token"], logs[t["token"]], ready, counter, len(tickets),
                                        f"127.0.{2 + i // 200}.{1 + (i % 200) // 20}"))
             for i, t in enumerate(tickets)]
    await asyncio.wait_for(ready.wait(), 120)
    await asyncio.sleep(settle)
    called_lat: list[float] = []
    fanout_lat: list[float] = []
    missing = 0
    by_number = {t["number"]: t["token"] for t in tickets}
    async with httpx.AsyncClient(base_url=hall_url, timeout=30,
                                 headers={"Authorization": f"Bearer {tokens['clerk']}"}) as clerk:
        for _ in range(calls):
            marks = {tok: len(entries) for tok, entries in logs.items()}
            sent = time.perf_counter()
            r = await clerk.post("/api/v1/windows/w03/call-next")
            number = r.json()["ticket"]["number"]
            mine = by_number.get(number)
            deadline = time.perf_counter() + 10
            # everyone else still waiting moves up one; the called phone turns green
            while time.perf_counter() < deadline:
                done = all(len(logs[tok]) > marks[tok] for tok in logs
                           if tok == mine or (logs[tok] and logs[tok][-1][1] == "waiting"))
                if done:
                    break
                await asyncio.sleep(0.005)
            for tok, entries in logs.items():
                new = entries[marks[tok]:]
                if tok == mine:
                    hit = next((e for e in new if e[1] == "called"), None)
                    if hit is None:
                        missing += 1
                    else:
                        called_lat.append(hit[0] - sent)
                elif entries and entries[marks[tok] - 1 if marks[tok] else 0][1] == "waiting":
                    if new:
                        fanout_lat.append(new[0][0] - sent)
                    else:
                        missing += 1
            await clerk.post("/api/v1/windows/w03/finish", json={"outcome": "completed"})
            await asyncio.sleep(settle)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"path": name, "phones": len(tickets), "calls": calls, "missing": missing,
            "called_p50_ms": ms(pct(called_lat, 50)), "called_p99_ms": ms(pct(called_lat, 99)),
            "called_max_ms": ms(max(called_lat)) if called_lat else None,
            "fanout_samples": len(fanout_lat), "fanout_p50_ms": ms(pct(fanout_lat, 50)),
            "fanout_p99_ms": ms(pct(fanout_lat, 99))}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=500)
    ap.add_argument("--calls", type=int, default=20)
    args = ap.parse_args()
    import resource

    import httpx

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    result: dict = {"bench": "relay", "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as d:
        procs, hall_url, central_url, tokens = start(Path(d))
        try:
            with httpx.Client(base_url=hall_url, timeout=30) as c:
                c.post("/api/v1/windows/w03/open", headers={"Authorization": f"Bearer {tokens['clerk']}"})
                # Enough tickets for both passes: each pass calls `calls` of them.
                tickets = [c.post("/api/v1/tickets", json={"service_id": "biz-change"},
                                  headers={"Authorization": f"Bearer {tokens['kiosk']}",
                                           "Idempotency-Key": uuid.uuid4().hex}).json()
                           for _ in range(args.phones + args.calls)]
            # Wait until central holds every view (the first full push).
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if httpx.get(f"{central_url}/api/v1/tickets/{tickets[-1]['token']}", timeout=5).status_code == 200:
                    break
                time.sleep(0.2)
            # Calls go in issue order: each pass follows the next `phones` tickets, the first
            # `calls` of which are the ones called.
            hall_pass = asyncio.run(run_path("hall", hall_url, hall_url, tokens,
                                             tickets[:args.phones], args.calls, 0.3))
            relay_pass = asyncio.run(run_path("central", central_url, hall_url, tokens,
                                              tickets[args.calls:args.calls + args.phones],
                                              args.calls, 0.3))
        finally:
            for p in procs:
                p.terminate()
                p.wait(timeout=10)
    result["hall_own_stream"] = hall_pass
    result["relayed_via_central"] = relay_pass
    result["ratios"] = {
        "called_p99_relay_vs_hall": round(relay_pass["called_p99_ms"] / max(hall_pass["called_p99_ms"], 0.1), 2),
        "fanout_p99_relay_vs_hall": round(relay_pass["fanout_p99_ms"] / max(hall_pass["fanout_p99_ms"], 0.1), 2),
    }
    result["targets"] = {"relayed_call_p99<=2s": relay_pass["called_p99_ms"] <= 2000 and relay_pass["missing"] == 0}
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
