"""schemathesis over the live API: every answer's status, media type and body are as the OpenAPI
document says, none is a 5xx, and no stream ends in a platform fault ("Seaway error")."""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.daemon import Daemon

# What the document promises (not "every schema-valid request is accepted": names and settings are
# checked beyond their types, with messages of our own).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
APP = "fuzzed"  # every app-scoped case works on this one app (created again if a case destroyed it)


def no_platform_fault(response) -> None:  # noqa: ANN001 (schemathesis' Response: headers map to lists)
    """A streamed job ends with exactly one outcome, and it is never the platform's own fault."""
    text = response.text
    media = {key.lower(): value for key, value in response.headers.items()}.get("content-type", [""])
    if not (media[0] if isinstance(media, list) else media).startswith("application/x-ndjson"):
        return
    events = [json.loads(line) for line in text.splitlines() if line]
    assert events and ("result" in events[-1] or "error" in events[-1]), text[-500:]
    assert not str(events[-1].get("error", "")).startswith("Seaway error"), events[-1]


def check(case, daemon: Daemon) -> None:  # noqa: ANN001 (a schemathesis Case)
    if case.path_parameters and "app" in case.path_parameters:
        case.path_parameters["app"] = APP
        daemon.api("POST", "/apps", json={"name": APP})  # 201, or 409 when it exists
    if case.query and case.query.get("tail"):
        case.query["tail"] = False  # a followed log never ends
    response = case.call(headers={"Authorization": f"Bearer {daemon.token}"}, timeout=120)
    case.validate_response(response, checks=CHECKS)
    no_platform_fault(response)


def test_the_api_answers_as_documented(daemon: Daemon) -> None:
    """Each operation with a bounded number of generated cases (schemathesis' strategies, run by
    hypothesis here: its pytest plugin does not load under this pytest)."""
    operations = [result.ok() for result in
                  schemathesis.openapi.from_url(f"{daemon.api_url}/openapi.json").get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        @given(operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def each(case) -> None:  # noqa: ANN001
            check(case, daemon)

        try:
            each()
        except Exception as error:
            raise AssertionError(f"{operation.label}: {error}") from error
