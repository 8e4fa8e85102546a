"""Display layouts over HTTP: manager edits, display read-back, assignment, preview, admin page."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from hall import events as hall_events
from hall.api.auth import require_any, require_device, require_manager
from hall.auth import Principal
from hall.display_layouts import NAME_PATTERN, Layout, builtin_layouts, parse_layout
from hall.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)

LAYOUT_EVENT = "display.layout_changed"
assert LAYOUT_EVENT in hall_events.EVENT_TYPES

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
_CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'")
PREVIEW_TIMEOUT = 20.0
# One render at a time: each is a Qt process, and the hall node is often a 2-core kiosk box.
_PREVIEW_SLOT = threading.Semaphore(1)

router = APIRouter()
_reader = require_any(device_roles=("display",), staff_roles=("manager",))
LayoutName = Annotated[str, PathParam(pattern=NAME_PATTERN, max_length=40)]
DeviceName = Annotated[str, PathParam(min_length=1, max_length=64)]


# -- storage -------------------------------------------------------------------------------

def _seed(request: Request) -> None:
    """A hall with no layouts yet gets the built-in ones (voice from its [voice] section)."""
    store = request.app.state.store
    with store.read() as db:
        if db.execute("SELECT 1 FROM display_layouts LIMIT 1").fetchone():
            return
    voice = getattr(request.app.state.config, "voice", None)
    now = time.time()
    with store.transaction() as db:
        if db.execute("SELECT 1 FROM display_layouts LIMIT 1").fetchone():
            return
        for layout in builtin_layouts(voice):
            body = layout.model_copy(update={"version": 1}).model_dump()
            db.execute("INSERT INTO display_layouts (name, body, version, updated_at, updated_by)"
                       " VALUES (?, ?, 1, ?, 'builtin')",
                       (layout.name, json.dumps(body, ensure_ascii=False), now))


def _all_layouts(request: Request) -> list[dict]:
    _seed(request)
    with request.app.state.store.read() as db:
        rows = db.execute("SELECT body FROM display_layouts ORDER BY name").fetchall()
    return [json.loads(r[0]) for r in rows]


def _get_layout(request: Request, name: str) -> dict:
    _seed(request)
    with request.app.state.store.read() as db:
        row = db.execute("SELECT body FROM display_layouts WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound("no_layout", f"没有名为“{name}”的显示布局", f"No display layout named '{name}'")
    return json.loads(row[0])


def _business_date(request: Request) -> str:
    engine = getattr(request.app.state, "engine", None)
    try:
        return str(engine.business_date())
    except Exception:  # noqa: BLE001 - an event must still carry a date
        return time.strftime("%Y-%m-%d")


def _emit(request: Request, db, payload: dict) -> int:
    return hall_events.append_event(db, LAYOUT_EVENT, payload, at=time.time(),
                                    business_date=_business_date(request))


def _notify(request: Request, seq: int) -> None:
    feed = getattr(getattr(request.app.state, "engine", None), "feed", None)
    if feed is not None:
        feed.notify(seq)


def _save(request: Request, name: str, data: dict, who: Principal) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput("invalid_layout", "布局必须是 JSON 对象", "A layout must be a JSON object")
    if data.get("name", name) != name:
        raise InvalidInput("name_mismatch", "布局名称与地址不一致",
                           "The layout name in the body differs from the one in the address")
    expected = data.get("version")
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
        raise InvalidInput("invalid_layout", "布局字段 version 必须是整数",
                           "layout field version must be an integer")
    layout = parse_layout({**data, "name": name, "version": 0})
    _seed(request)
    with request.app.state.store.transaction() as db:
        row = db.execute("SELECT version FROM display_layouts WHERE name = ?", (name,)).fetchone()
        current = row[0] if row else 0
        # Two managers editing the same layout: the second save must not silently win.
        if expected not in (None, 0) and row is not None and int(expected) != current:
            raise Conflict("stale_layout",
                           f"布局“{name}”已被他人修改（当前版本 {current}），请刷新后再改",
                           f"Layout '{name}' was changed by someone else (now version "
                           f"{current}); reload and edit again")
        version = current + 1
        body = layout.model_copy(update={"version": version}).model_dump()
        db.execute(
            "INSERT INTO display_layouts (name, body, version, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET body = excluded.body,"
            " version = excluded.version, updated_at = excluded.updated_at,"
            " updated_by = excluded.updated_by",
            (name, json.dumps(body, ensure_ascii=False), version, time.time(), who.id))
        seq = _emit(request, db, {"name": name, "version": version, "device": None})
    _notify(request, seq)
    return body


def _delete(request: Request, name: str) -> dict:
    _seed(request)
    with request.app.state.store.transaction() as db:
        if db.execute("SELECT 1 FROM display_layouts WHERE name = ?", (name,)).fetchone() is None:
            raise NotFound("no_layout", f"没有名为“{name}”的显示布局",
                           f"No display layout named '{name}'")
        if name == "default":
            raise Conflict("layout_required", "“default”布局是未分配显示屏的后备，不能删除",
                           "The 'default' layout is the fallback for unassigned displays; "
                           "it cannot be deleted")
        users = [r[0] for r in db.execute(
            "SELECT device_name FROM display_assignments WHERE layout_name = ?", (name,))]
        if users:
            raise Conflict("layout_in_use", f"布局“{name}”正被显示屏使用：{'、'.join(users)}",
                           f"Layout '{name}' is assigned to: {', '.join(users)}")
        db.execute("DELETE FROM display_layouts WHERE name = ?", (name,))
        seq = _emit(request, db, {"name": name, "version": None, "device": None,
                                  "deleted": True})
    _notify(request, seq)
    return {"name": name, "deleted": True}


def _display_devices(request: Request) -> list[dict]:
    devices = [d for d in request.app.state.auth.list_devices() if d.get("role") == "display"]
    with request.app.state.store.read() as db:
        assigned = dict(db.execute("SELECT device_name, layout_name FROM display_assignments"))
    return [{"name": d["name"], "layout": assigned.get(d["name"], "default"),
             "revoked": bool(d.get("revoked_at"))} for d in devices]


def _assign(request: Request, device: str, layout_name: str, who: Principal) -> dict:
    names = {d["name"] for d in _display_devices(request)}
    if device not in names:
        raise NotFound("no_display", f"没有名为“{device}”的显示屏设备",
                       f"No display device named '{device}'")
    layout = _get_layout(request, layout_name)
    with request.app.state.store.transaction() as db:
        db.execute(
            "INSERT INTO display_assignments (device_name, layout_name, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (device_name) DO UPDATE SET"
            " layout_name = excluded.layout_name, updated_at = excluded.updated_at,"
            " updated_by = excluded.updated_by",
            (device, layout_name, time.time(), who.id))
        seq = _emit(request, db, {"name": layout_name, "version": layout["version"],
                                  "device": device})
    _notify(request, seq)
    return {"name": device, "layout": layout_name}


def _for_device(request: Request, device: str) -> dict:
    with request.app.state.store.read() as db:
        row = db.execute("SELECT layout_name FROM display_assignments WHERE device_name = ?",
                         (device,)).fetchone()
    name = row[0] if row else "default"
    try:
        layout = _get_layout(request, name)
    except NotFound:
        layout = _get_layout(request, "default")
    hall = getattr(request.app.state.config, "hall", None)
    return {"device": device, "layout": layout,
            "hall": {"name_zh": getattr(hall, "name_zh", ""), "name_en": getattr(hall, "name_en", "")}}


# -- routes --------------------------------------------------------------------------------

@router.get("/api/v1/display-layouts", tags=["display layouts"])
async def list_layouts(request: Request, _: Principal = Depends(_reader)) -> list[dict]:
    """Every layout, by name (displays and managers)."""
    return await to_thread.run_sync(_all_layouts, request)


@router.get("/api/v1/display-layouts/{name}", tags=["display layouts"])
async def get_layout(name: LayoutName, request: Request,
                     _: Principal = Depends(_reader)) -> dict:
    """One layout (displays and managers)."""
    return await to_thread.run_sync(_get_layout, request, name)


@router.put("/api/v1/display-layouts/{name}", tags=["display layouts"])
async def put_layout(name: LayoutName, request: Request,
                     data: Annotated[dict[str, Any], Body()],
                     who: Principal = Depends(require_manager)) -> dict:
    """Create or replace a layout (manager). Send the `version` you edited to be warned
    (409) when someone else saved in between. Running displays follow within a second."""
    return await to_thread.run_sync(_save, request, name, data, who)


@router.delete("/api/v1/display-layouts/{name}", tags=["display layouts"])
async def delete_layout(name: LayoutName, request: Request,
                        _: Principal = Depends(require_manager)) -> dict:
    """Delete a layout no display uses (manager)."""
    return await to_thread.run_sync(_delete, request, name)


@router.get("/api/v1/displays", tags=["display layouts"])
async def list_displays(request: Request, _: Principal = Depends(require_manager)) -> list[dict]:
    """Display devices and the layout each shows (manager)."""
    return await to_thread.run_sync(_display_devices, request)


@router.get("/api/v1/displays/me", tags=["display layouts"])
async def my_layout(request: Request, me: Principal = Depends(require_device("display"))) -> dict:
    """The calling display's assigned layout (or 'default'), with the hall's name."""
    if me.kind != "device":  # require_device admits managers too; they have no screen
        raise Forbidden("not_a_display", "只有显示屏设备可以读取自己的布局",
                        "Only a display device has a layout of its own")
    return await to_thread.run_sync(_for_device, request, me.name)


@router.put("/api/v1/displays/{device_name}/layout", tags=["display layouts"])
async def assign_layout(device_name: DeviceName, request: Request,
                        data: Annotated[dict[str, Any], Body()],
                        who: Principal = Depends(require_manager)) -> dict:
    """Assign a layout to a display device: body {"layout": NAME} (manager)."""
    layout_name = data.get("layout") if isinstance(data, dict) else None
    if not isinstance(layout_name, str) or not layout_name:
        raise InvalidInput("invalid_input", "请指定布局名称 layout", "Give the layout name as 'layout'")
    return await to_thread.run_sync(_assign, request, device_name, layout_name, who)


@router.post("/api/v1/display-layouts/preview", tags=["display layouts"],
             responses={200: {"content": {"image/png": {}}, "description": "a rendered frame"}})
async def preview(request: Request, data: Annotated[dict[str, Any], Body()],
                  _: Principal = Depends(require_manager)) -> Response:
    """Render a (possibly unsaved) layout with sample calls to a PNG (manager)."""
    layout = parse_layout({**data, "name": data.get("name") or "preview", "version": 0})
    windows = await to_thread.run_sync(_windows_for_preview, request)
    png = await to_thread.run_sync(render_preview, layout, windows, _hall_name(request))
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/admin/displays", include_in_schema=False)
def admin_page() -> HTMLResponse:
    html = (WEB_DIR / "admin_displays.html").read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Content-Security-Policy": _CSP,
                                       "Cache-Control": "no-store",
                                       "X-Content-Type-Options": "nosniff",
                                       "Referrer-Policy": "no-referrer"})


# -- preview rendering ---------------------------------------------------------------------

def _hall_name(request: Request) -> str:
    hall = getattr(request.app.state.config, "hall", None)
    return getattr(hall, "name_zh", "") or ""


def _windows_for_preview(request: Request) -> list[dict]:
    engine = getattr(request.app.state, "engine", None)
    try:
        rows = engine.windows_overview()
    except Exception:  # noqa: BLE001 - a preview without the hall's windows still helps
        rows = []
    return [{"id": str(r.get("id")), "number": r.get("number"), "name_zh": r.get("name_zh", ""),
             "kind": r.get("kind", ""), "state": "open"} for r in rows]


def render_preview(layout: Layout, windows: list[dict], hall_name: str) -> bytes:
    """PNG of the layout rendered by the real display code in a child process (the hall
    node never loads Qt itself). Raises DomainError 503 when it cannot render."""
    job = json.dumps({"layout": layout.model_dump(), "windows": windows, "hall_name": hall_name},
                     ensure_ascii=False)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if not _PREVIEW_SLOT.acquire(timeout=PREVIEW_TIMEOUT):
        raise DomainError("preview_busy", "预览正忙，请稍候再试", "Previews are busy; try again",
                          503)
    try:
        proc = subprocess.run([sys.executable, "-m", "caller_display.render"], input=job.encode(),
                              capture_output=True, timeout=PREVIEW_TIMEOUT, env=env, check=False,
                              cwd=str(Path(__file__).resolve().parents[2]))
    except subprocess.TimeoutExpired:
        raise DomainError("preview_failed", "预览生成超时", "The preview took too long",
                          503) from None
    finally:
        _PREVIEW_SLOT.release()
    if proc.returncode != 0 or not proc.stdout.startswith(b"\x89PNG"):
        log.error("preview render failed: %s", proc.stderr.decode(errors="replace")[-500:])
        raise DomainError("preview_failed", "预览生成失败（显示组件不可用）",
                          "The preview could not be rendered (display component unavailable)",
                          503)
    return proc.stdout
