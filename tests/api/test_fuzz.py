"""Property-based fuzzing of the API from its own OpenAPI schema (schemathesis): valid and
invalid requests to every operation, at least 500 of them, with no 5xx and every answer
conforming to the documented schema, status codes and content types.

Every default check runs except `positive_data_acceptance`: `start <= end` and the 366-day cap
of /predictions/observed are rules across parameters that OpenAPI cannot express, so a
schema-valid request may rightly be refused with 422 (the endpoint tests check those answers).
Invalid data must still be rejected (`negative_data_rejection`). Then schemathesis's coverage
phase sends every method the schema does not declare to every path, and its `unsupported_method`
check requires a 405 that names the allowed methods in `Allow`."""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import CoverageScenario, coverage_scenario
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from api.main import app
from tests.api.conftest import use_store

MIN_REQUESTS = 500


def test_fuzzing_finds_no_server_error_and_no_schema_violation(sqlite_pipeline, monkeypatch):
    use_store(monkeypatch, sqlite_pipeline, BIHAR_API_CACHE_SECONDS="0")
    with TestClient(app):  # runs the lifespan: engine and cache on app.state
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} >= {"/predictions", "/predictions/observed"}
        cases = st.one_of([op.as_strategy(mode) for op in operations for mode in GenerationMode])
        statuses: list[int] = []

        @settings(
            max_examples=MIN_REQUESTS + 100,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases)
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
            statuses.append(response.status_code)

        fuzz()
        probes = [
            case
            for op in operations
            for case in schema.iter_coverage_cases(
                op,
                generation_modes=list(GenerationMode),
                generation_config=schema.config.generation_for(operation=op),
            )
            if coverage_scenario(case) == CoverageScenario.UNSPECIFIED_HTTP_METHOD
        ]
        refused = [case.call_and_validate(checks=[unsupported_method]) for case in probes]
    assert {(case.path, case.method) for case in probes} >= {
        ("/predictions", "POST"),
        ("/predictions/observed", "DELETE"),
        ("/health", "PUT"),
    }
    assert {answer.status_code for answer in refused} == {405}
    assert all(answer.headers["allow"] == ["GET"] for answer in refused)
    assert len(statuses) >= MIN_REQUESTS
    assert not [s for s in statuses if s >= 500]
    assert {200, 404, 422} <= set(statuses), "the fuzzing should reach success and both errors"
