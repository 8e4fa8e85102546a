"""Serves the pages shipped in hall/web: the clerk console and the citizen's ticket page."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
# The pages only talk to this node: no CDN, no inline third-party code.
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; media-src 'self' data:; frame-ancestors 'none'")


def _page(name: str, status: int = 200) -> HTMLResponse:
    html = (WEB_DIR / name).read_text(encoding="utf-8")
    return HTMLResponse(html, status_code=status,
                        headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store",
                                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def mount(app: FastAPI) -> None:
    app.mount("/static/web", StaticFiles(directory=WEB_DIR), name="web")

    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse("/console")

    @app.get("/console", include_in_schema=False)
    def console():
        return _page("console.html")

    @app.get("/complaint", include_in_schema=False)
    def complaint_page():
        return _page("complaint.html")

    @app.get("/c/{code}", include_in_schema=False)
    def complaint_track_page(code: str):
        # The complaint receipt's QR: the page itself asks the API and says "not found" in
        # both languages for an unknown code (never a raw JSON 404).
        from hall.complaint_track import valid_code

        return _page("track.html", status=200 if valid_code(code.upper()) else 404)

    @app.get("/t/{token}", include_in_schema=False)
    def ticket_page(token: str, request: Request):
        # A mistyped or stale link gets the page too, which then says "not found" in both
        # languages; the token itself is checked by the API the page calls.
        if not _TOKEN.match(token):
            return _page("ticket.html", status=404)
        return _page("ticket.html")
