"""The OpenAPI document is valid OpenAPI 3.1, every operation of the registry is in it, and a few
generated requests per operation (schemathesis, in-process through Flask's WSGI app) get answers that
match it: documented status, content type and schema, never a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from survey.api.registry import OPERATIONS

# the answer matches the document; valid data may still be refused (an unknown client, a wave not drawn)
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
               response_headers_conformance]


@pytest.fixture
def document(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.get_json()


def test_document_is_valid_openapi_31(document):
    assert document["openapi"].startswith("3.1")
    validate(document)
    listed = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert len(listed) == len(OPERATIONS)
    for op in OPERATIONS:
        assert op.endpoint in {o["operationId"] for ops in document["paths"].values() for o in ops.values()}


def test_request_schemas_are_the_validating_models(document):
    """The body schema in the document is the pydantic model's own JSON Schema: one source for both."""
    from survey.api.schemas import ClientIn

    assert document["components"]["schemas"]["ClientIn"]["required"] == ClientIn.model_json_schema()["required"]
    assert document["components"]["schemas"]["ClientIn"]["additionalProperties"] is False


def test_docs_page_lists_every_operation_without_external_scripts(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "<script" not in html and "cdn" not in html.lower()
    for op in OPERATIONS:
        assert f'id="op-{op.endpoint}"' in html


@pytest.fixture
def api_schema(app, runner):
    from survey.db import session_scope
    from tests.factories import make_client, make_wave

    with app.app_context(), session_scope(app) as s:
        make_wave(s, "W-contract")
        make_client(s, client_no="C1", branch_code="BJ01")
    token = runner.invoke(args=["create-api-token", "contract", "--role", "admin"]).stdout.strip().splitlines()[-1]
    app.config["API_RATE_LIMIT"] = 0
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.headers = {"Authorization": f"Bearer {token}"}
    return schema


def test_generated_requests_match_the_document(api_schema):
    """A few generated cases per operation (schemathesis' strategies under hypothesis), run in-process."""
    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call()
            assert response.status_code < 500, response.text
            case.validate_response(response, checks=CONFORMANCE)

        check()
        checked += 1
    assert checked == len(OPERATIONS)
