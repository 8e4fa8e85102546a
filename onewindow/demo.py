"""`onewindow demo`: the whole hall on one machine; headless, a scripted run into a folder.

The demo is a sequence of stages. The core stage (hall.demo) simulates a business day into a
real SQLite file; every other package adds a stage module `<package>.demo` with
`run(ctx: DemoContext) -> None` that adds its screenshots, ticket images and figures to the
same folder. Stages run in the order of STAGES; a stage whose package is not present is
skipped, and a stage that fails is reported in the summary without hiding the others.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from onewindow import example_config_path, import_if_present

log = logging.getLogger(__name__)

STAGES = [
    "hall.demo",            # the scripted day: database + summary figures
    "drivers.demo",         # ticket images, bus simulation
    "hall.api.demo",        # starts the hall server; console and ticket page screenshots
    "hall.web.demo",        # manager pages
    "kiosk.demo",           # kiosk screens
    "caller_display.demo",  # display layouts, voice WAV
    "sync.demo",            # upload to a reference central
]


@dataclass
class DemoContext:
    """What stages share: the output folder, the hall's config and database, a hall URL."""

    out: Path
    config_path: Path
    db_path: Path
    headless: bool = True
    hall_url: str | None = None          # set by the stage that starts the hall server
    tokens: dict[str, str] = field(default_factory=dict)   # role -> device token
    summary: dict = field(default_factory=dict)             # stage name -> figures
    exit_stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def path(self, *parts: str) -> Path:
        p = self.out.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p


def run_demo(out: Path, config: Path | None, headless: bool) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    config_src = config or example_config_path()
    config_path = out / "hall.toml"
    if config_src.resolve() != config_path.resolve():
        shutil.copyfile(config_src, config_path)
    db_path = out / "hall.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    ctx = DemoContext(out=out, config_path=config_path, db_path=db_path, headless=headless)
    stages: dict[str, dict] = {}
    with ctx.exit_stack:
        for name in STAGES:
            module = import_if_present(name)
            if module is None:
                continue
            started = time.monotonic()
            try:
                module.run(ctx)
                stages[name] = {"ok": True, "seconds": round(time.monotonic() - started, 2)}
            except Exception as exc:
                if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in DEV_ONLY:
                    # An installed box has no test tools: the stage that needs one is skipped.
                    log.warning("demo stage %s skipped: needs %s (pip install onewindow[test])",
                                name, exc.name)
                    stages[name] = {"ok": True, "skipped": f"needs {exc.name} (onewindow[test])"}
                    continue
                log.error("demo stage %s failed: %s", name, exc)
                stages[name] = {"ok": False, "error": str(exc),
                                "trace": traceback.format_exc(limit=5)}
    result = {"stages": stages, **ctx.summary}
    (out / "summary.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    _write_report(out, result)
    return result


# Tools the demo uses to check its own output (QR decoding, a headless browser) that only
# developers install (the [test] extra); a demo from a wheel skips what needs them.
DEV_ONLY = {"zxingcpp", "playwright"}


def _write_report(out: Path, result: dict) -> None:
    lines = ["# OneWindow demo report", ""]
    for name, st in result["stages"].items():
        mark = ("skipped: " + st["skipped"]) if st.get("skipped") else (
            "ok" if st["ok"] else "FAILED: " + st.get("error", ""))
        lines.append(f"- `{name}`: {mark}")
    lines += ["", "## Files", ""]
    for p in sorted(out.rglob("*")):
        if p.is_file():
            lines.append(f"- {p.relative_to(out)}")
    lines += ["", "## Figures", "", "```json",
              json.dumps({k: v for k, v in result.items() if k != "stages"},
                         ensure_ascii=False, indent=2), "```"]
    (out / "report.md").write_text("\n".join(lines) + "\n")


LIVE_STAGES = ["hall.demo", "hall.api.demo"]


def run_live(out: Path, config: Path | None) -> int:
    """With a screen: the scripted day, then the hall node, a printer simulator, a kiosk and a
    caller display as separate processes, until Ctrl-C. The clerk console and manager pages
    open in a browser."""
    import subprocess
    import sys

    out.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []
    try:
        # run_demo closes its exit stack (and the hall) when it returns, so run the stages here.
        config_src = config or example_config_path()
        config_path = out / "hall.toml"
        shutil.copyfile(config_src, config_path)
        db_path = out / "hall.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        ctx = DemoContext(out=out, config_path=config_path, db_path=db_path, headless=False)
        with ctx.exit_stack:
            for name in LIVE_STAGES:
                importlib.import_module(name).run(ctx)
            me = [sys.executable, "-m", "onewindow.cli"]
            procs.append(subprocess.Popen(me + ["sim", "printer", "--printer-name", "demo-printer"]))
            time.sleep(1.0)
            procs.append(subprocess.Popen(me + ["display", "--hall", ctx.hall_url, "--token", ctx.tokens["display"],
                                                "--windowed"]))
            procs.append(subprocess.Popen(me + ["kiosk", "--hall", ctx.hall_url, "--token", ctx.tokens["kiosk"],
                                                "--printer", "sim://demo-printer", "--windowed"]))
            staff = ctx.summary.get("hall_api", {}).get("staff", {})
            print(f"\nOneWindow demo running. 演示已启动。\n"
                  f"  clerk console 窗口工作台: {ctx.hall_url}/console  "
                  f"(staff {staff.get('clerk')}, PIN {staff.get('pin')})\n"
                  f"  manager pages 管理后台:   {ctx.hall_url}/admin  (staff {staff.get('manager')})\n"
                  f"  Ctrl-C stops everything. 按 Ctrl-C 结束。", flush=True)
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except Exception:  # noqa: BLE001 - best effort at shutdown
                p.kill()
    return 0


def _cmd_demo(args) -> int:
    headless = args.headless
    if not headless:
        return run_live(Path(args.out), Path(args.config) if args.config else None)
    result = run_demo(Path(args.out), Path(args.config) if args.config else None, headless)
    failed = [n for n, s in result["stages"].items() if not s["ok"]]
    print(f"demo written to {args.out}/ (summary.json, report.md)")
    if failed:
        print("stages that failed: " + ", ".join(failed))
        return 1
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("demo", help="run the whole hall on this machine (headless: a scripted run)")
    p.add_argument("--headless", action="store_true",
                   help="no display: run a scripted day and write screenshots, tickets, a report")
    p.add_argument("--out", default="demo-out", help="output folder (default demo-out)")
    p.add_argument("--config", help="hall.toml to use (default: assets/hall.example.toml)")
    p.set_defaults(func=_cmd_demo)
