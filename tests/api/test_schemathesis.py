"""Schemathesis fuzzes every operation in the OpenAPI schema as a stranger (no token), a kiosk
and a clerk: no 5xx. Hypothesis adds what the schema cannot say: hostile Last-Event-ID and
Idempotency-Key headers, and JSON bodies in other encodings with their charsets (issue 15).
The central's run is tests/central/test_central_fuzz.py.

The quick run here uses the fuzzing phase with a few examples per operation; set
ONEWINDOW_SCHEMATHESIS_FULL=1 for the long run (examples, coverage, fuzzing, stateful; 30 each).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hall.api.limits import ApiLimits

from .conftest import HallServer

FULL = os.environ.get("ONEWINDOW_SCHEMATHESIS_FULL") == "1"


def run_schemathesis(url: str, token: str | None, tmp_path: Path, label: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("schemathesis")
    phases = "examples,coverage,fuzzing,stateful" if FULL else "fuzzing"
    auth = ["-H", f"Authorization: Bearer {token}"] if token else []
    cmd = [str(exe), "run", url + "/api/v1/openapi.json", *auth,
           "--checks", "not_a_server_error", "--phases", phases, "-n", "30" if FULL else "5",
           # streams never end by design; signing out would end the clerk's session mid-run
           "--exclude-path-regex", r"stream|^/api/v1/session$",
           "--request-timeout", "5", "--no-color", "--seed", "20261126", "-w", "2",
           "--suppress-health-check", "all", "--report", "junit",
           "--report-junit-path", str(tmp_path / f"{label}.xml")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_no_server_errors_for_a_stranger_a_device_and_a_signed_in_clerk(tmp_path):
    limits = ApiLimits(long_poll_max_seconds=0.2, public_rate_per_second=10_000, public_burst=10_000)
    with HallServer(tmp_path, limits=limits) as hall:
        for label, token in (("stranger", None), ("kiosk", hall.device_token("kiosk")),
                             ("clerk", hall.staff_token("c1", window_id="w03"))):
            result = run_schemathesis(hall.url, token, tmp_path, label)
            tail = result.stdout[-4000:]
            assert result.returncode == 0, f"schemathesis as {label} found failures:\n{tail}"
            assert " passed" in tail, tail


# -- headers and encodings the schema does not describe -----------------------------------------
@pytest.fixture(scope="module")
def fuzz_hall(tmp_path_factory):
    limits = ApiLimits(public_rate_per_second=10_000, public_burst=10_000, heartbeat_seconds=0.2)
    with HallServer(tmp_path_factory.mktemp("headers"), limits=limits) as hall:
        hall.kiosk_token = hall.device_token("kiosk", "kiosk-fuzz")
        hall.display_token = hall.device_token("display", "display-fuzz")
        yield hall


# Any Latin-1 header value a client can send (h11 refuses surrounding whitespace itself).
_LATIN1 = st.text(st.characters(max_codepoint=255, exclude_categories=("Cc",)), max_size=24).map(
    lambda s: s.strip(" \t\xa0"))
_FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@_FUZZ
@given(last_event_id=_LATIN1)
@example(last_event_id="²")
@example(last_event_id="00000000000000000001")
def test_any_last_event_id_is_a_stream_or_a_refusal(fuzz_hall, last_event_id):
    """Before: `Last-Event-ID: ²` was a 500 (str.isdigit accepts it, int() does not)."""
    headers = {"Authorization": f"Bearer {fuzz_hall.display_token}",
               "Last-Event-ID": last_event_id.encode("latin-1")}
    with httpx.stream("GET", fuzz_hall.url + "/api/v1/events/stream", headers=headers,
                      timeout=5) as resp:
        assert resp.status_code in (200, 422), resp.read()[:300]


@_FUZZ
@given(key=_LATIN1, encoding=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32", "latin-1",
                                              "utf-8-sig"]),
       charset=st.sampled_from(["", "; charset=utf-8", "; charset=UTF-8", "; charset=utf-16",
                                "; charset=latin-1", "; charset=\"utf-8\"", "; charset=", ";;"]),
       phone=st.one_of(st.none(), st.just("13812345678"), st.just("１３８")))
@example(key="kiosk-utf16-1", encoding="utf-16", charset="", phone=None)
def test_any_idempotency_key_and_body_encoding_is_a_ticket_or_a_refusal(
        fuzz_hall, key, encoding, charset, phone):
    """Before: a UTF-16 JSON body issued a ticket."""
    body = json.dumps({"service_id": "biz-setup", "phone": phone}, ensure_ascii=False)
    if encoding == "latin-1" and not body.isascii():
        encoding = "utf-16"
    headers = {"Authorization": f"Bearer {fuzz_hall.kiosk_token}",
               "Content-Type": "application/json" + charset,
               "Idempotency-Key": key.encode("latin-1")}
    resp = httpx.post(fuzz_hall.url + "/api/v1/tickets", content=body.encode(encoding),
                      headers=headers, timeout=10)
    assert resp.status_code < 500, resp.text[:300]
    declared = [p.partition("=")[2].strip().strip('"').lower() for p in charset.split(";")
                if p.strip().startswith("charset")]
    if resp.status_code in (200, 201):
        assert encoding in ("utf-8", "utf-8-sig") or body.isascii() and encoding == "latin-1"
        assert all(c in ("utf-8", "utf8") for c in declared), charset
    else:
        err = resp.json()["error"]
        assert err["message"] and err["message_en"]
