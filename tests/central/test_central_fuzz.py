"""Schemathesis over the central's OpenAPI, as a signed-in hall and as a stranger, plus random
bodies on the endpoints whose bodies the schema does not describe: never a 5xx (issue 15,
item 6). Bounded: a few examples per operation, seconds in all."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from central.server import CentralServer
from sync import signing

HALL = "fuzz-hall"
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck),
                    database=None)


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("central")
    with CentralServer(f"sqlite:///{tmp / 'c.db'}", admin_token="fuzz-admin-token") as server:
        server.secret = signing.new_secret()
        server.db.add_hall(HALL, "Fuzz", server.secret)
        with httpx.Client(timeout=10) as server.http:
            yield server


def _send(central, method: str, url: str, params, body: bytes, headers: dict, signed: bool):
    request = httpx.Request(method, url, params=params, content=body, headers=headers)
    if signed:
        path = request.url.raw_path.decode("latin-1")
        request.headers.update(signing.sign_headers(HALL, central.secret, method, path, body))
    return central.http.send(request)


@pytest.mark.parametrize("caller", ["hall", "admin", "stranger"])
def test_no_operation_gives_a_server_error(central, caller):
    import schemathesis

    schema = schemathesis.openapi.from_url(central.url + "/openapi.json")
    failures, operations = [], 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1

        @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        @given(case=op.as_strategy())
        def call(case):
            kwargs = case.as_transport_kwargs(base_url=central.url)
            headers = {k: v for k, v in (kwargs.get("headers") or {}).items()
                       if k.lower() != "content-length"}
            if caller == "admin":
                headers["Authorization"] = "Bearer fuzz-admin-token"
            body = kwargs.get("content") or kwargs.get("data") or b""
            if not isinstance(body, bytes):
                body = json.dumps(kwargs["json"]).encode() if kwargs.get("json") is not None else b""
            resp = _send(central, case.method, kwargs["url"], kwargs.get("params"), body, headers,
                         signed=caller == "hall")
            if resp.status_code >= 500:
                failures.append((case.method, case.path, kwargs.get("params"), resp.status_code,
                                 resp.text[:200]))

        call()
    assert operations >= 8
    assert failures == []


@SETTINGS
@given(body=st.one_of(
    st.binary(max_size=300),
    st.builds(lambda after, events: json.dumps({"after": after, "events": events}).encode(),
              st.one_of(st.integers(-3, 3), st.text(max_size=3), st.none()),
              st.lists(st.dictionaries(st.sampled_from(["seq", "id", "type", "at", "business_date",
                                                        "payload"]),
                                       st.one_of(st.integers(-2, 5), st.text(max_size=5),
                                                 st.floats(allow_nan=True), st.none())),
                       max_size=4))),
       signed=st.booleans(),
       ctype=st.sampled_from(["application/json", "application/json; charset=utf-16",
                              "text/plain; charset=latin-1", ""]))
def test_random_event_batches_never_give_a_server_error(central, body, signed, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    resp = _send(central, "POST", central.url + "/sync/v1/events", None, body, headers, signed)
    assert resp.status_code < 500, resp.text[:300]
    if resp.status_code >= 400:
        err = resp.json()["error"]
        assert err["message"] and err["message_en"]


@SETTINGS
@given(path=st.sampled_from(["/book", "/book/cancel"]),
       form=st.dictionaries(st.sampled_from(["hall", "service", "date", "slot", "name",
                                             "id_number", "phone", "code", "x"]),
                            st.text(max_size=30), max_size=8),
       raw=st.binary(max_size=200), use_raw=st.booleans())
def test_random_booking_forms_never_give_a_server_error(central, path, form, raw, use_raw):
    with httpx.Client(timeout=10) as http:
        if use_raw:
            resp = http.post(central.url + path, content=raw,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        else:
            resp = http.post(central.url + path, data=form)
    assert resp.status_code < 500, resp.text[:300]
