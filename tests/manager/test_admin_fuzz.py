"""Every /api/v1/admin operation, fed generated input from its own OpenAPI schema, answers with a
clear refusal or a result, never a server error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from hallserver import HallServer  # noqa: E402


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    with HallServer(tmp_path_factory.mktemp("fuzz")) as server:
        yield server


def test_no_admin_input_causes_a_server_error(hall):
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    token = hall.staff_token("m1", role="manager")
    schema = schemathesis.openapi.from_url(hall.url + "/api/v1/openapi.json").include(path_regex="^/api/v1/admin")
    failures, operations = [], 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy())
        def call(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            r = case.call(timeout=30)
            if r.status_code >= 500:
                failures.append((case.method, case.path, case.path_parameters, case.query, r.status_code, r.text[:200]))
            elif r.status_code >= 400:
                err = r.json()["error"]
                assert err["message"] and err["message_en"], (case.path, r.text)

        call()
    assert operations >= 14
    assert failures == []
