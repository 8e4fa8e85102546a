"""The pages ship with the package and work offline: no CDN, no inline code, a strict CSP."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

WEB = Path(__file__).resolve().parents[2] / "hall" / "web"
MINE = ["console.html", "console.js", "console.css", "ticket.html", "ticket.js", "ticket.css"]


def test_pages_are_served_with_a_strict_policy(hall):
    for path in ("/console", "/t/abcdefghijklmnop"):
        r = httpx.get(hall.url + path)
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
    for name in MINE:
        r = httpx.get(f"{hall.url}/static/web/{name}")
        assert r.status_code == 200, name
    assert httpx.get(hall.url + "/", follow_redirects=False).headers["location"] == "/console"


def test_no_external_resources_and_no_inline_code():
    for name in MINE:
        text = (WEB / name).read_text(encoding="utf-8")
        assert not re.search(r"https?://", text), f"{name} points outside the hall node"
        if name.endswith(".html"):
            # the CSP (script-src 'self'; style-src 'self') would block these
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), name
            assert " style=" not in text and "<style" not in text, name
            assert re.search(r'<html lang="zh-CN">', text), name
            assert "<meta name=\"viewport\"" in text, name
