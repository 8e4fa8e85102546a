"""HTTP client for the hall node's API, shared by the kiosk and the caller display.

Built on onewindow.http (httpx): timeouts, connect retries and kept-alive connections are
set there, for every client of the project."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import quote

import httpx

from onewindow import http

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = http.DEFAULT_TIMEOUT


class HallUnreachable(Exception):
    """The hall node did not answer (refused, timed out, dropped). Safe to retry."""

    message = "暂时无法连接大厅服务器"
    message_en = "The hall server cannot be reached"

    def __init__(self, detail: str = ""):
        super().__init__(f"{self.message_en}: {detail}" if detail else self.message_en)
        self.detail = detail


class HallError(Exception):
    """The hall answered with an error body; nothing was changed. Safe to show to a person."""

    def __init__(self, code: str, message: str, message_en: str, status: int):
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message = message
        self.message_en = message_en
        self.status = status


def new_idempotency_key() -> str:
    """A fresh key for one citizen intent; reuse it for every retry of that intent."""
    return uuid.uuid4().hex


def mask_phone(phone: str | None) -> str:
    """138****5678: the only form a phone number may take in a log."""
    if not phone:
        return ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


class HallClient:
    """Talks to one hall node. Every method either returns the decoded JSON body or raises
    HallUnreachable (no answer: retry later) or HallError (an answer that says no).

    Thread-safety: one kept-alive httpx connection pool per client; the kiosk uses it from
    one worker thread, the display from its stream and refresher threads (one client each).
    """

    def __init__(self, base_url: str, token: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.session = http.make_client(headers=headers, timeout_s=timeout)

    def close(self) -> None:
        self.session.close()

    # -- low level -------------------------------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                headers: dict | None = None, timeout: float | None = None) -> Any:
        url = f"{self.base_url}/api/v1{path}"
        try:
            resp = self.session.request(method, url, json=json, params=params, headers=headers,
                                        timeout=http.timeout(timeout or self.timeout))
        except httpx.HTTPError as exc:
            raise HallUnreachable(type(exc).__name__) from exc
        if resp.status_code >= 500:
            # A 5xx may or may not have committed; the caller retries with the same key.
            raise HallUnreachable(f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            raise error_from(resp)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise HallUnreachable("invalid JSON") from exc

    def get(self, path: str, **kw) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw) -> Any:
        return self.request("POST", path, json=body if body is not None else {}, **kw)

    # -- resources -------------------------------------------------------------------------

    def health(self) -> dict:
        return self.get("/health", timeout=min(self.timeout, 3.0))

    def report_status(self, status: dict) -> dict:
        """This device's own state (printer paper, scanner) for the hall and the fleet view."""
        return self.post("/devices/me/status", status)

    def kiosk_config(self) -> dict:
        return self.get("/kiosk-config")

    def services(self) -> list[dict]:
        return self.get("/services")

    def windows(self) -> list[dict]:
        return self.get("/windows")

    def issue_ticket(self, service_id: str, *, idempotency_key: str,
                     priority_reason: str | None = None, phone: str | None = None,
                     lang: str = "zh") -> dict:
        """Issue a ticket. Retrying with the same idempotency_key returns the same ticket."""
        body: dict[str, Any] = {"service_id": service_id, "lang": lang}
        if priority_reason:
            body["priority_reason"] = priority_reason
        if phone:
            body["phone"] = phone
        log.info("issue ticket service=%s green=%s phone=%s key=%s", service_id,
                 priority_reason or "-", mask_phone(phone) or "-", idempotency_key[:8])
        return self.post("/tickets", body, headers={"Idempotency-Key": idempotency_key})

    def check_in(self, code: str) -> dict:
        return self.post("/appointments/checkin", {"code": code})

    def issue_theme_ticket(self, theme_id: str, *, idempotency_key: str, priority_reason: str | None = None,
                           phone: str | None = None, lang: str = "zh") -> dict:
        """一件事: one ticket for a theme (hall/matters.py); retries reuse the idempotency key."""
        body: dict[str, Any] = {"lang": lang}
        if priority_reason:
            body["priority_reason"] = priority_reason
        if phone:
            body["phone"] = phone
        log.info("issue theme ticket theme=%s phone=%s key=%s", theme_id, mask_phone(phone) or "-",
                 idempotency_key[:8])
        return self.post(f"/themes/{theme_id}/tickets", body, headers={"Idempotency-Key": idempotency_key})

    def scan_matter(self, code: str) -> dict:
        """A matter's pickup code: a 统一出件 ticket, or owed materials filed (hall/matters.py)."""
        return self.post("/matters/scan", {"code": code})

    def ticket(self, token: str) -> dict:
        return self.get(f"/tickets/{quote(token, safe='')}")

    def rate(self, token: str, level: int, reasons: list[str] | None = None, *,
             idempotency_key: str | None = None) -> dict:
        """Rate a ticket. Retrying with the same idempotency_key returns the rating given."""
        body: dict[str, Any] = {"token": token, "level": int(level)}
        if reasons:
            body["reasons"] = list(reasons)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.post("/ratings", body, headers=headers)

    def file_complaint(self, category: str, *, text: str = "", phrases: list[str] | None = None,
                       phone: str | None = None, kind: str = "complaint",
                       contact_consent: bool = False, idempotency_key: str | None = None) -> dict:
        """File a complaint. Retrying with the same idempotency_key returns the same code;
        `contact_consent`: the citizen agreed to be called back on `phone` (电话回访)."""
        body: dict[str, Any] = {"category": category, "kind": kind}
        if text:
            body["text"] = text
        if phrases:
            body["phrases"] = list(phrases)
        if phone:
            body["phone"] = phone
            body["contact_consent"] = bool(contact_consent)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.post("/complaints", body, headers=headers)

    def raise_help(self, note: str | None = None) -> dict:
        return self.post("/help-requests", {"note": note} if note else {})

    def help_request(self, help_id: Any) -> dict:
        return self.get(f"/help-requests/{help_id}")

    def cancel_help(self, help_id: Any) -> dict:
        return self.post(f"/help-requests/{help_id}/cancel", {})

    def report_print_failure(self, ticket_id: str, reason: str) -> Any:
        return self.post(f"/tickets/{ticket_id}/print-failed", {"reason": reason})

    def sign_in(self, staff_id: str, pin: str) -> dict:
        return self.post("/session", {"staff_id": staff_id, "pin": pin})

    def page_exists(self, path: str) -> bool:
        """Whether the hall serves a web page at `path` (e.g. a citizen-facing form)."""
        try:
            resp = self.session.get(f"{self.base_url}{path}")
        except httpx.HTTPError as exc:
            raise HallUnreachable(type(exc).__name__) from exc
        return resp.status_code == 200 and "html" in resp.headers.get("content-type", "")

    def events(self, after: int = 0, wait: float = 0) -> dict:
        return self.get("/events", params={"after": after, "wait": wait},
                        timeout=(self.timeout + wait) if wait else None)

    def event_stream(self, after: int = 0, read_timeout: float = 30.0) -> http.EventStream:
        """`GET /events/stream` from `after` as an http.EventStream (use it in a with-block)."""
        return http.EventStream(self.session, f"{self.base_url}/api/v1/events/stream",
                                params={"after": after},
                                headers={"Last-Event-ID": str(after)},
                                read_timeout=read_timeout)


def error_from(resp: httpx.Response) -> HallError:
    """The hall's error body as a HallError (a generic bilingual one if the body is not ours)."""
    try:
        err = resp.json().get("error") or {}
    except (ValueError, AttributeError):
        err = {}
    if not isinstance(err, dict):
        err = {}
    return HallError(
        str(err.get("code") or f"http_{resp.status_code}"),
        str(err.get("message") or "请求未被接受，请联系工作人员"),
        str(err.get("message_en") or f"The hall refused the request (HTTP {resp.status_code})"),
        resp.status_code,
    )
