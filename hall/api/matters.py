"""Matters (办件) over HTTP: the back office (/backoffice), the clerk's 容缺 and hand-over
actions, the kiosk's pickup-code scan, the citizen's matter page (/m/TOKEN), and the
manager's one-visit report. Engine rules live in hall/matters.py."""

from __future__ import annotations

import csv
import io
import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from hall.api.auth import require_any, require_manager, require_staff
from hall.api.limits import public_rate_limit
from hall.api.pages import _page
from hall.api.routes import status_url, ticket_out
from hall.auth import Principal
from hall.errors import InvalidInput, NotFound

router = APIRouter()

MatterId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
_TOKEN = re.compile(r"^[A-Za-z0-9]{16,64}$")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepIn(Body):
    step: Literal["approve", "reject", "ask_more", "resume", "ready", "mail"]
    note: str = Field(default="", max_length=1000)
    materials: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(default=[], max_length=30)


class SuppliedIn(Body):
    material: str = Field(min_length=1, max_length=60)
    ticket_id: str | None = Field(default=None, max_length=64)


class HandoverIn(Body):
    to_name: str = Field(min_length=1, max_length=40)
    by_proxy: bool = False
    note: str = Field(default="", max_length=500)
    ticket_id: str | None = Field(default=None, max_length=64)


class ThemeTicketIn(Body):
    phone: str | None = Field(default=None, max_length=20)
    priority_reason: str | None = Field(default=None, max_length=40)
    lang: Literal["zh", "en"] = "zh"


class ScanIn(Body):
    code: str = Field(min_length=1, max_length=100)


def _engine(request: Request):
    return request.app.state.engine


def matter_url(request: Request, token: str) -> str:
    return status_url(request, token).replace("/t/", "/m/", 1)


def _staff_view(request: Request, m: dict) -> dict:
    """A matter as staff see it: the masked phone, never the citizen's keys."""
    from hall.models import mask_phone

    out = dict(m)
    with request.app.state.store.read() as db:
        row = db.execute("SELECT phone, handed_to FROM matter_access WHERE code = ?", (m["code"],)).fetchone()
    if m.get("has_phone"):
        out["phone_masked"] = mask_phone(row[0]) if row and row[0] else None
    if m.get("handed_to") and row and row[1]:
        out["handed_to_full"] = row[1]           # staff see whom they handed it to
    return out


_office = require_staff("approver", "clerk")


@router.get("/api/v1/matters", tags=["matters"])
def list_matters(request: Request, state: str | None = Query(default=None, max_length=20),
                 service_id: str | None = Query(default=None, max_length=40),
                 filed: bool | None = None, closed: bool = False, limit: int = Query(default=500, ge=1, le=5000),
                 principal: Principal = Depends(_office)) -> dict:
    """The back office's queue: overdue first, then by promised date. `filed`: matters whose
    citizen filed owed materials at the kiosk (for the pickup/consult window)."""
    engine = _engine(request)
    rows = engine.list_matters(state=state, service_id=service_id, filed=filed, open_only=not closed, limit=limit)
    return {"business_date": engine.business_date(), "matters": [_staff_view(request, m) for m in rows]}


@router.get("/api/v1/matters/by-code/{code}", tags=["matters"])
def by_code(code: Annotated[str, Path(max_length=20)], request: Request,
            principal: Principal = Depends(require_staff("approver", "clerk", "helper"))) -> list[dict]:
    return [_staff_view(request, m) for m in _engine(request).matters_by_code(code)]


@router.get("/api/v1/matters/{matter_id}", tags=["matters"])
def matter_detail(matter_id: MatterId, request: Request, principal: Principal = Depends(_office)) -> dict:
    return _staff_view(request, _engine(request).get_matter(matter_id))


@router.post("/api/v1/matters/{matter_id}/steps", tags=["matters"])
def matter_step(matter_id: MatterId, body: StepIn, request: Request,
                principal: Principal = Depends(_office)) -> dict:
    """approve / reject (reason) / ask_more (materials) / resume / ready / mail (tracking no.)."""
    engine = _engine(request)
    engine.advance_matter(matter_id, body.step, principal.id, body.note, role=principal.role,
                          materials=body.materials)
    return _staff_view(request, engine.get_matter(matter_id))


@router.post("/api/v1/matters/{matter_id}/supplied", tags=["matters"])
def supplied(matter_id: MatterId, body: SuppliedIn, request: Request,
             principal: Principal = Depends(require_staff("clerk"))) -> dict:
    """The clerk marks one owed material as supplied (any window)."""
    engine = _engine(request)
    engine.supply_material(matter_id, body.material, principal.id, ticket_id=body.ticket_id)
    return _staff_view(request, engine.get_matter(matter_id))


@router.post("/api/v1/matters/{matter_id}/handover", tags=["matters"])
def handover(matter_id: MatterId, body: HandoverIn, request: Request,
             principal: Principal = Depends(require_staff("clerk"))) -> dict:
    engine = _engine(request)
    engine.hand_over(matter_id, principal.id, body.to_name, by_proxy=body.by_proxy, note=body.note,
                     ticket_id=body.ticket_id)
    return _staff_view(request, engine.get_matter(matter_id))


@router.get("/api/v1/tickets/{ticket_id}/matters", tags=["matters"])
def ticket_matters(ticket_id: MatterId, request: Request,
                   principal: Principal = Depends(require_any(("window",), ("clerk",)))) -> list[dict]:
    """The matters a ticket came for: the pickup clerk sees which result to fetch."""
    return [_staff_view(request, m) for m in _engine(request).matter_for_ticket(ticket_id)]


@router.get("/api/v1/matters/{matter_id}/slip", tags=["matters"])
def slip(matter_id: MatterId, request: Request,
         principal: Principal = Depends(require_staff("clerk"))) -> dict:
    """The acceptance slip (受理回执) for the accepting clerk: code, promise, materials, the QR
    to the citizen's page and the pickup code. Only the clerk who accepted the matter (or a
    manager, for a reprint) gets the keys."""
    engine = _engine(request)
    m = engine.get_matter(matter_id)
    _slip_holder(principal, m)
    acc = engine.matter_access(m["code"])
    matters = engine.matters_by_code(m["code"])
    return slip_data(request, matters, acc, with_qr=True)


def _slip_holder(principal: Principal, matter: dict) -> None:
    """The slip holds the citizen's pickup code: only the accepting clerk or a manager."""
    from hall.errors import Forbidden

    if principal.role != "manager" and principal.id != matter.get("staff_id"):
        raise Forbidden("not_your_slip", "回执只能由受理该件的工作人员或大厅主任补打",
                        "only the clerk who accepted this matter, or a manager, can print its slip")


def slip_data(request: Request, matters: list[dict], acc: dict, *, with_qr: bool = False) -> dict:
    config = request.app.state.config
    first = matters[0]
    out = {
        "hall_name_zh": config.hall.name_zh, "code": first["code"],
        "services": [{"name_zh": m["service_name_zh"], "kind": m["kind"], "due_date": m["due_date"],
                      "promise_days": m["promise_days"]} for m in matters],
        "received": list(dict.fromkeys(x for m in matters for x in m["received"])),
        "owed": list(dict.fromkeys(x for m in matters for x in m["owed_open"])),
        "owed_due": first["owed_due"], "accepted_at": first["accepted_at"],
        "window_number": first["window_number"],
        "page_url": matter_url(request, acc["token"]), "pickup_code": f"OW1:P:{acc['pickup_token']}",
    }
    if with_qr:        # for the console's on-screen / browser-printed slip
        out["page_qr"] = _qr_data_uri(out["page_url"])
        out["pickup_qr"] = _qr_data_uri(out["pickup_code"])
    return out


@router.post("/api/v1/matters/{matter_id}/print-slip", tags=["matters"])
def print_slip(matter_id: MatterId, request: Request,
               principal: Principal = Depends(require_staff("clerk"))) -> dict:
    """Print the 受理回执 on the accepting window's printer ([[devices.printers]] named after the
    window id). Without one the console prints the same slip from the browser."""
    from drivers.printer.device import Printer, PrintError
    from hall.errors import Conflict, DomainError

    engine = _engine(request)
    m = engine.get_matter(matter_id)
    _slip_holder(principal, m)
    config = request.app.state.config
    dev = next((p for p in config.devices.printers if p.name == m["window_id"]), None)
    if dev is None:
        raise Conflict("no_printer", f"{m['window_number']} 号窗口未配置回执打印机，请用浏览器打印回执",
                       f"window {m['window_number']} has no slip printer; print the slip from the browser")
    slip = slip_data(request, engine.matters_by_code(m["code"]), engine.matter_access(m["code"]))
    printer = Printer(dev.url, dev.profile, timezone=config.hall.timezone)
    try:
        printer.print_acceptance_slip(slip)
    except PrintError as exc:
        raise DomainError("printer_" + exc.code, f"回执打印失败：{exc.message}", f"slip not printed: {exc.message_en}",
                          status=503) from None
    finally:
        printer.close()
    return {"printed": True, "code": m["code"]}


@router.post("/api/v1/themes/{theme_id}/tickets", status_code=201, tags=["matters"])
def theme_ticket(theme_id: Annotated[str, Path(max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")],
                 body: ThemeTicketIn, request: Request, response: Response,
                 idempotency_key: Annotated[str, Header(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")],
                 principal: Principal = Depends(require_any(("kiosk",), ("helper", "clerk")))) -> dict:
    """一件事: one ticket for a theme (the same Idempotency-Key returns the same ticket, 200)."""
    ticket, created = _engine(request).issue_theme_ticket(
        theme_id, phone=body.phone, priority_reason=body.priority_reason, lang=body.lang,
        idempotency_key=f"{principal.id[:16]}:{idempotency_key}")
    if not created:
        response.status_code = 200
    theme = next(t for t in request.app.state.config.themes if t.id == theme_id)
    # The slip and the screen name the theme the citizen chose, not its queue's service.
    return {**ticket_out(request, ticket, at_issue=True), "service_name_zh": theme.name_zh,
            "service_name_en": theme.name_en or theme.name_zh, "theme_id": theme_id}


@router.post("/api/v1/matters/scan", tags=["matters"])
def scan(body: ScanIn, request: Request,
         principal: Principal = Depends(require_any(("kiosk",), ("helper", "clerk")))) -> dict:
    """A pickup code scanned at the kiosk: a 统一出件 ticket when the result is ready, or the
    owed materials filed for the pickup/consult window (no queue number)."""
    out = _engine(request).scan_pickup_code(body.code, source_detail=principal.name)
    if out["action"] == "ticket":
        out["ticket"] = ticket_out(request, out["ticket"])
    return out


@router.get("/api/v1/m/{token}", tags=["matters"])
def citizen_matter(token: Annotated[str, Path(max_length=64)], request: Request,
                   _: None = Depends(public_rate_limit)) -> dict:
    """The citizen's matter page data, by its unguessable token."""
    if not _TOKEN.match(token):
        raise NotFound("unknown_matter_link", "办件链接无效", "invalid matter link")
    out = _engine(request).public_matters(token)
    out["pickup_qr"] = _qr_data_uri(out["pickup_code"]) if out["pickup_code"] else None
    return out


def _qr_data_uri(text: str) -> str:
    import base64

    import qrcode

    img = qrcode.make(text, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


# -- manager ---------------------------------------------------------------------------------
def _range(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    """Dates that exist, from before to; else a clear 422 (the pattern alone lets 2026-13-45 by)."""
    import datetime as dt

    for value in (start, end):
        if value is None:
            continue
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise InvalidInput("bad_date", f"日期不存在：{value}", f"no such date: {value}") from None
    if start and end and start > end:
        raise InvalidInput("bad_range", "开始日期晚于结束日期", "the start date is after the end date")
    return start, end
@router.get("/api/v1/admin/matters/uncollected", tags=["matters"])
def uncollected(request: Request, principal: Principal = Depends(require_manager)) -> list[dict]:
    return [_staff_view(request, m) for m in _engine(request).uncollected_matters()]


@router.get("/api/v1/admin/matters/report", tags=["matters"])
def report(request: Request, start: str | None = Query(default=None, alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$"),
           end: str | None = Query(default=None, alias="to", pattern=r"^\d{4}-\d{2}-\d{2}$"),
           format: Literal["json", "csv"] = "json", principal: Principal = Depends(require_manager)):
    """一次办好率: by service and month (CSV with format=csv)."""
    from hall import matters_report

    engine = _engine(request)
    start, end = _range(start, end)
    rep = matters_report.one_visit_report(request.app.state.store, engine.calendar, start, end,
                                          today=engine.business_date(), tz=engine.config.hall.timezone)
    if format == "csv":
        buf = io.StringIO()
        cols = matters_report.CSV_COLUMNS
        w = csv.writer(buf)
        w.writerow([c for c, _ in cols])
        for row in rep["rows"]:
            w.writerow([row.get(c) for c, _ in cols])
        return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="one-visit.csv"'})
    return rep


@router.get("/api/v1/admin/matters/report.png", tags=["matters"])
def report_plot(request: Request, start: str | None = Query(default=None, alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$"),
                end: str | None = Query(default=None, alias="to", pattern=r"^\d{4}-\d{2}-\d{2}$"),
                principal: Principal = Depends(require_manager)) -> Response:
    from hall import matters_report

    engine = _engine(request)
    start, end = _range(start, end)
    rep = matters_report.one_visit_report(request.app.state.store, engine.calendar, start, end,
                                          today=engine.business_date(), tz=engine.config.hall.timezone)
    return Response(matters_report.plot_png(rep), media_type="image/png")


# -- pages ----------------------------------------------------------------------------------
@router.get("/backoffice", include_in_schema=False)
def backoffice_page():
    return _page("backoffice.html")


@router.get("/admin/matters", include_in_schema=False)
def admin_matters_page():
    return _page("admin_matters.html")


@router.get("/m/{token}", include_in_schema=False)
def matter_page(token: str):
    return _page("matter.html", status=200 if _TOKEN.match(token) else 404)
