"""Health, services, windows, tickets, check-in, ratings, complaints, help requests, cases."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

import onewindow
from hall import exits
from hall.api.auth import current_principal, require_any, require_device, require_staff
from hall.api.limits import client_address, public_rate_limit, take_public
from hall.auth import Principal

router = APIRouter()

Token = Annotated[str, Path(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketIn(Body):
    service_id: str = Field(min_length=1, max_length=40)
    priority_reason: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=20)
    lang: Literal["zh", "en"] = "zh"


class TicketOut(BaseModel):
    id: str
    number: str
    service_id: str
    state: str
    ahead: int
    eta_minutes: int | float | None
    token: str
    status_url: str
    priority: str | None = None
    issued_at: float | None = None
    service_name_zh: str | None = None
    service_name_en: str | None = None
    no_window: bool = False
    opens_at: str | None = None
    no_window_zh: str | None = None
    no_window_en: str | None = None


def no_window_text(opens_at: str | None) -> tuple[str, str]:
    """当前无窗口办理: what a kiosk or phone says before (and after) a ticket is issued."""
    if opens_at:
        return (f"当前无窗口办理此业务，预计 {opens_at} 开放",
                f"No window serves this right now; expected to open at {opens_at}")
    return ("当前无窗口办理此业务，开放时间待定，请到咨询台询问",
            "No window serves this right now and no opening time is known; please ask at the desk")


class CitizenTicket(BaseModel):
    """What a citizen's phone sees: no phone, no name, no staff."""

    number: str
    service_id: str
    service_name_zh: str
    service_name_en: str
    state: str
    ahead: int | None
    eta_minutes: int | float | None
    window_number: int | None = None
    window_name_zh: str | None = None
    recalls: int = 0
    can_rate: bool
    rated: bool = False
    rating_level: int | None = None
    rating_reasons: dict[str, list[str]] = {}
    complaint_categories: list[dict] = []
    refusal: dict | None = None
    help_desk: dict = {}
    can_leave: bool = False
    no_window: bool = False
    opens_at: str | None = None


class CheckinIn(Body):
    code: str = Field(min_length=1, max_length=40)


class RatingIn(Body):
    token: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    level: int = Field(ge=1, le=5)
    reasons: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=10)
    comment: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=20, description="a 差评's contact for the revisit")
    contact_consent: bool = False


class ComplaintIn(Body):
    category: str = Field(min_length=1, max_length=40)
    text: str = Field(default="", max_length=1000)
    phrases: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=10)
    phone: str | None = Field(default=None, max_length=20)
    kind: Literal["complaint", "suggestion"] = "complaint"
    contact_consent: bool = False
    ticket_token: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    channel: Literal["web", "qr"] | None = Field(
        default=None, description="public callers only: web = the ticket page, qr = the /complaint page")


IdemKey = Annotated[str | None, Header(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]


def _scoped_key(principal: Principal | None, key: str | None) -> str | None:
    """Keys are per caller (as for tickets): two callers that pick the same key stay apart."""
    if not key:
        return None
    return f"{principal.id[:16]}:{key}" if principal is not None else f"pub:{key}"


def _channel(principal: Principal | None, public: str) -> str:
    """Where a rating or complaint truly came from (好差评 channel)."""
    if principal is None:
        return public
    if principal.kind == "device":
        return {"kiosk": "kiosk", "window": "pad"}.get(principal.role, public)
    return "hotline"    # staff entering what a citizen said on the phone


class HelpIn(Body):
    note: str | None = Field(default=None, max_length=200)


class PrintFailedIn(Body):
    reason: str = Field(min_length=1, max_length=200)


class AdvanceIn(Body):
    step: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=1000)


def _engine(request: Request):
    return request.app.state.engine


def status_url(request: Request, token: str) -> str:
    base = request.app.state.config.hall.base_url or str(request.base_url).rstrip("/")
    return f"{base.rstrip('/')}/t/{token}"


def ticket_out(request: Request, ticket: dict, *, at_issue: bool = False) -> dict:
    """The kiosk's view of a ticket. `at_issue`: use the estimate the engine made when it
    issued the ticket (same transaction) instead of computing it again."""
    if at_issue and ticket.get("ahead_at_issue") is not None:
        ahead, eta = ticket["ahead_at_issue"], ticket.get("eta_at_issue")
    else:
        public = _engine(request).public_ticket(ticket)
        ahead, eta = public.get("ahead") or 0, public.get("eta_minutes")
    svc = request.app.state.config.service(ticket["service_id"])
    no_window = ticket["state"] == "waiting" and eta is None
    opens_at = _engine(request).opens_at() if no_window else None
    zh, en = no_window_text(opens_at) if no_window else (None, None)
    return {
        "no_window": no_window, "opens_at": opens_at, "no_window_zh": zh, "no_window_en": en,
        "id": ticket["id"], "number": ticket["number"], "service_id": ticket["service_id"],
        "state": ticket["state"], "ahead": ahead,
        "eta_minutes": eta, "token": ticket["token"],
        "status_url": status_url(request, ticket["token"]),
        "priority": ticket.get("priority"), "issued_at": ticket.get("issued_at"),
        "service_name_zh": svc.name_zh if svc else None,
        "service_name_en": svc.name_en if svc else None,
    }


def citizen_view(request: Request, ticket: dict) -> dict:
    """The citizen's view, built field by field so nothing private can leak in."""
    return citizen_view_of(request.app.state, ticket)


def citizen_view_of(state, ticket: dict) -> dict:
    """citizen_view from the app's state (engine, config, store): the hall's own page and the
    phone-page relay to central (sync/relay.py) show the same thing."""
    engine = state.engine
    config = state.config
    public = engine.public_ticket(ticket)
    from hall.citizen import citizen_story

    with state.store.read() as db:
        live = db.execute("SELECT * FROM tickets WHERE id = ?", (public.get("id") or ticket["id"],)).fetchone()
        story = citizen_story(db, config, dict(live) if live else ticket)
    svc = config.service(ticket["service_id"])
    return {
        "number": ticket["number"],
        "service_id": ticket["service_id"],
        "service_name_zh": svc.name_zh if svc else ticket["service_id"],
        "service_name_en": (svc.name_en or svc.name_zh) if svc else ticket["service_id"],
        "state": ticket["state"],
        "ahead": public.get("ahead"),
        "eta_minutes": public.get("eta_minutes"),
        "no_window": bool(public.get("no_window")), "opens_at": public.get("opens_at"),
        "window_number": public.get("window_number"),
        "window_name_zh": public.get("window_name_zh"),
        "recalls": int(ticket.get("recalls") or 0),
        "can_rate": bool(public.get("can_rate")),
        "rated": public.get("rating") is not None,
        "rating_level": public.get("rating"),
        "rating_reasons": {k: list(v) for k, v in config.ratings.reasons.items()},
        "complaint_categories": [{"id": c.id, "zh": c.zh, "en": c.en}
                                 for c in config.kiosk.complaint_categories],
        **story,
    }


# -- health, services, windows ------------------------------------------------------------
@router.get("/health", tags=["hall"])
def health(request: Request) -> dict:
    engine = _engine(request)
    ok = True
    try:
        with request.app.state.store.read() as db:
            db.execute("SELECT 1").fetchone()
    except Exception:  # noqa: BLE001 - health reports, it does not raise
        ok = False
    return {"status": "ok" if ok else "degraded", "version": onewindow.__version__,
            "database_ok": ok, "business_date": engine.business_date(),
            "last_seq": request.app.state.hub.last_seq,
            "sync": _sync_mark(request),
            "hall": {"id": request.app.state.config.hall.id,
                     "name_zh": request.app.state.config.hall.name_zh,
                     "name_en": request.app.state.config.hall.name_en,
                     "timezone": request.app.state.config.hall.timezone},
            "clock": _clock(request)}


def _clock(request: Request) -> dict:
    """Whether this machine's clock is synchronised (True/False/None = unknown), and the hall's
    zone: kiosks and displays show the hall's time, and the manager is warned (hall.timesync)."""
    from hall.timesync import clock_status, hall_time

    return {**clock_status(), **hall_time(request.app.state.config.hall.timezone), "now": time.time()}


def _sync_mark(request: Request) -> dict:
    """The small online/offline mark kiosks and consoles show (from the sync process's state)."""
    config = request.app.state.config
    if not config.sync.enabled:
        return {"enabled": False, "online": None}
    try:
        from sync.hallside import online_mark
        return {"enabled": True, **online_mark(request.app.state.store.path, config.sync.interval_seconds)}
    except Exception:  # noqa: BLE001 - health reports, it does not raise
        return {"enabled": True, "online": False}


@router.get("/kiosk-config", tags=["hall"])
def kiosk_config(request: Request, _: None = Depends(public_rate_limit)) -> dict:
    """The hall's names and the choices a kiosk or a citizen's page offers (no secrets)."""
    from hall.config import public_choices

    return public_choices(request.app.state.engine.config)


@router.get("/services", tags=["hall"])
def services(request: Request, _: None = Depends(public_rate_limit)) -> list[dict]:
    """Per service: names, pinyin initials (search), waiting, estimate, open now, no window."""
    from hall.pinyin import initials

    return [{**s, "initials": initials(s["name_zh"])} for s in _engine(request).services_overview()]


@router.get("/windows", tags=["hall"])
def windows(request: Request, _: None = Depends(public_rate_limit)) -> list[dict]:
    return _engine(request).windows_overview()


# -- tickets ------------------------------------------------------------------------------
@router.post("/tickets", status_code=201, response_model=TicketOut, tags=["tickets"])
def issue_ticket(
    body: TicketIn, request: Request, response: Response,
    idempotency_key: Annotated[str, Header(min_length=8, max_length=100,
                                           pattern=r"^[A-Za-z0-9_.:-]+$")],
    principal: Principal = Depends(require_any(("kiosk",), ("helper", "clerk"))),
) -> dict:
    """Issue a ticket. The same Idempotency-Key again returns the same ticket (200)."""
    canonical = json.dumps(body.model_dump(), sort_keys=True, ensure_ascii=False)
    request_hash = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    source = "kiosk" if principal.kind == "device" else "helper"
    ticket, created = _engine(request).issue_ticket(
        body.service_id, priority_reason=body.priority_reason, phone=body.phone, lang=body.lang,
        source=source, source_detail=principal.name,
        # Keys are per caller: two kiosks that happen to pick the same key stay apart.
        idempotency_key=f"{principal.id[:16]}:{idempotency_key}", request_hash=request_hash)
    if not created:
        response.status_code = 200
    return ticket_out(request, ticket, at_issue=True)


@router.post("/appointments/checkin", status_code=201, response_model=TicketOut, tags=["tickets"])
def check_in(body: CheckinIn, request: Request,
             principal: Principal = Depends(require_any(("kiosk",), ("helper", "clerk")))) -> dict:
    ticket = _engine(request).check_in_appointment(body.code)
    return ticket_out(request, ticket)


def _ticket_by_token(request: Request, token: str) -> dict:
    """The live ticket behind a token; NotFound (404) for an unknown one."""
    return _engine(request).ticket_by_token(token)


@router.get("/tickets/{token}", response_model=CitizenTicket, tags=["tickets"])
def ticket_status(token: Token, request: Request, _: None = Depends(public_rate_limit)) -> dict:
    """The citizen's view of their own ticket, by its unguessable token."""
    return citizen_view(request, _ticket_by_token(request, token))


@router.post("/tickets/{token}/leave", response_model=CitizenTicket, tags=["tickets"])
def leave(token: Token, request: Request, _: None = Depends(public_rate_limit)) -> dict:
    """我不办了: the citizen leaves before being called (a walk-out), by their ticket's token."""
    _engine(request).cancel_ticket(token)
    return citizen_view(request, _ticket_by_token(request, token))


@router.post("/tickets/{ticket_id}/print-failed", tags=["tickets"])
def print_failed(ticket_id: ObjectId, body: PrintFailedIn, request: Request,
                 principal: Principal = Depends(require_device("kiosk"))) -> dict:
    _engine(request).record_print_failure(ticket_id, body.reason)
    return {"ok": True}


# -- ratings, complaints ------------------------------------------------------------------
@router.post("/ratings", status_code=201, tags=["ratings"])
def rate(body: RatingIn, request: Request, response: Response, idempotency_key: IdemKey = None,
         principal: Principal | None = Depends(current_principal)) -> dict:
    """Rate a served ticket by its token; once per ticket. The same Idempotency-Key again
    returns the rating already given (200). The channel is the caller's: kiosk, window pad,
    staff (hotline) or the citizen's phone page (web)."""
    if principal is None:
        take_public(request)
    _ticket_by_token(request, body.token)
    key = _scoped_key(principal, idempotency_key)
    with request.app.state.store.read() as db:
        replay = key is not None and db.execute("SELECT 1 FROM ratings WHERE idempotency_key = ?",
                                                (key,)).fetchone() is not None
    rating = _engine(request).rate(body.level, tuple(body.reasons), token=body.token,
                                   comment=body.comment, channel=_channel(principal, "web"),
                                   idempotency_key=key, contact_phone=body.phone,
                                   contact_consent=body.contact_consent)
    if replay:
        response.status_code = 200
    with request.app.state.store.read() as db:
        case = db.execute("SELECT 1 FROM cases WHERE rating_id = ?", (rating["id"],)).fetchone()
    return {"ok": True, "level": body.level, "case_opened": case is not None}


@router.post("/complaints", status_code=201, tags=["complaints"])
def complain(body: ComplaintIn, request: Request, response: Response, idempotency_key: IdemKey = None,
             principal: Principal | None = Depends(current_principal)) -> dict:
    """File a complaint or suggestion; the same Idempotency-Key again returns the same code (200)."""
    if principal is None:
        take_public(request)
    public = body.channel or ("web" if body.ticket_token else "qr")
    key = _scoped_key(principal, idempotency_key)
    with request.app.state.store.read() as db:
        replay = key is not None and db.execute("SELECT 1 FROM complaints WHERE idempotency_key = ?",
                                                (key,)).fetchone() is not None
    complaint = _engine(request).file_complaint(
        body.category, text=body.text, phrases=tuple(body.phrases), phone=body.phone,
        kind=body.kind, source=_channel(principal, public), ticket_token=body.ticket_token,
        idempotency_key=key, contact_consent=body.contact_consent)
    if replay:
        response.status_code = 200
    return {"code": complaint["code"], "kind": body.kind,
            "reply_working_days": request.app.state.config.cases.complaint_reply_working_days,
            "track_url": f"/c/{complaint['code']}"}


@router.get("/complaints/{code}", tags=["complaints"])
def track_complaint(request: Request, code: Annotated[str, Path(min_length=4, max_length=20)],
                    _: None = Depends(public_rate_limit)) -> dict:
    """The citizen's view of a complaint by its tracking code: timeline, reply date, outcome."""
    from hall.complaint_track import track

    today = _engine(request).business_date()
    with request.app.state.store.read() as db:
        return track(db, request.app.state.config, code.upper(), today)


# -- help requests ------------------------------------------------------------------------
@router.post("/help-requests", status_code=201, tags=["help"])
def raise_help(body: HelpIn, request: Request,
               principal: Principal = Depends(require_device("kiosk"))) -> dict:
    return _engine(request).raise_help(principal.name, note=body.note)


@router.get("/help-requests", tags=["help"])
def list_help(request: Request, state: Literal["open", "acknowledged", "closed", "all"] = "open",
              principal: Principal = Depends(require_staff())) -> list[dict]:
    with request.app.state.store.read() as db:
        cur = db.execute("SELECT * FROM help_requests ORDER BY raised_at DESC LIMIT 200"
                         if state == "all" else
                         "SELECT * FROM help_requests WHERE state = ? ORDER BY raised_at DESC LIMIT 200",
                         () if state == "all" else (state,))
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


@router.get("/help-requests/{help_id}", tags=["help"])
def get_help(help_id: ObjectId, request: Request,
             principal: Principal = Depends(require_any(("kiosk",), ("helper", "clerk")))) -> dict:
    return _engine(request).get_help(help_id)


@router.post("/help-requests/{help_id}/cancel", tags=["help"])
def cancel_help(help_id: ObjectId, request: Request,
                principal: Principal = Depends(require_any(("kiosk",)))) -> dict:
    """The kiosk that raised the call cancels it (the citizen no longer needs help)."""
    return _engine(request).cancel_help(help_id, principal.name)


@router.post("/help-requests/{help_id}/{action}", tags=["help"])
def help_action(help_id: ObjectId, action: Literal["acknowledge", "close"], request: Request,
                principal: Principal = Depends(require_staff("helper", "clerk"))) -> dict:
    engine = _engine(request)
    if action == "acknowledge":
        return engine.acknowledge_help(help_id, principal.id)
    return engine.close_help(help_id, principal.id)


# -- cases (the closed loop after a bad rating or a complaint) ------------------------------
CaseStateQ = Literal["open", "verified", "rectified", "revisited", "appealing", "closed"]


@router.get("/cases", tags=["cases"])
def list_cases(request: Request, state: CaseStateQ | None = None, overdue: bool | None = None,
               principal: Principal = Depends(require_staff("manager"))) -> list[dict]:
    return [exits.for_staff(_mask_row(c))
            for c in _engine(request).list_cases(state=state, overdue=overdue)]


@router.get("/cases/{case_id}", tags=["cases"])
def get_case(case_id: ObjectId, request: Request,
             principal: Principal = Depends(require_staff("manager"))) -> dict:
    return exits.for_staff(_mask_row(_engine(request).get_case(case_id)))


@router.post("/cases/{case_id}/advance", tags=["cases"])
def advance_case(case_id: ObjectId, body: AdvanceIn, request: Request,
                 principal: Principal = Depends(require_staff("manager"))) -> dict:
    """One step of the closed loop: assign, contact, verify, rectify, revisit, close, appeal…"""
    return exits.for_staff(_mask_row(_engine(request).advance_case(case_id, body.step, principal.id,
                                                                   body.note)))


def _mask_row(row: dict) -> dict:
    from hall.models import mask_phone

    if isinstance(row, dict) and row.get("phone"):
        row = {**row, "phone": mask_phone(row["phone"])}
    return row


__all__ = ["router", "ticket_out", "citizen_view", "citizen_view_of", "client_address"]
