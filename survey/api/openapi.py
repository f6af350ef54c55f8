"""The OpenAPI 3.1 document, built from the registry's operations and their pydantic models (the same
models that validate requests), and the server-rendered docs page."""

from __future__ import annotations

import re

from flask import jsonify, render_template
from pydantic.json_schema import models_json_schema

from survey.api.blueprint import bp
from survey.api.problems import KINDS, MEDIA_TYPE
from survey.api.registry import OPERATIONS, Operation
from survey.api.schemas import Problem

REF = "#/components/schemas/{model}"
ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500)
BIGINT = 2**63 - 1
IF_MATCH = frozenset({"case_step"})  # writes that honour If-Match (the ETag of the record's GET)
# refusals by the HTTP server in front of the app (gunicorn): they carry no problem body
BEFORE_APP = {414: "Request line too long (refused by the HTTP server)",
              431: "Request headers too large (refused by the HTTP server)"}


def openapi_path(rule: str) -> str:
    return "/api/v1" + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _plain(schema: dict) -> dict:
    """A query parameter's schema without the ``null`` choice (a query value is absent, never null)."""
    choices = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(choices) == 1:
        extra = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        return {**choices[0], **extra}
    return {k: v for k, v in schema.items() if k != "default" or v is not None}


def _parameters(op: Operation, query_schemas: dict) -> list[dict]:
    out = [{"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": BIGINT}}
           for name in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", op.rule)]
    if op.query is not None:
        schema = query_schemas[op.query]
        required = set(schema.get("required", []))
        out += [{"name": name, "in": "query", "required": name in required, "schema": _plain(prop)}
                for name, prop in schema.get("properties", {}).items()]
    if op.method == "GET":
        out.append({"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                    "description": "an ETag from an earlier answer: 304 when nothing changed"})
    else:
        if op.endpoint in IF_MATCH:
            out.append({"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
                        "description": "the ETag of the record's read: 412 when it has changed since"})
        out.append({"name": "Idempotency-Key", "in": "header", "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[\\x20-\\x7e]+$"},
                    "description": "a retry with the same key and body returns the first answer and changes nothing"})
    return out


def _responses(op: Operation, refs: dict) -> dict:
    ok = {"content": {"application/json": {"schema": refs[(op.response, "serialization")]}}}
    out = {str(s): {"description": "OK", **ok} for s in (op.status, *op.also)}
    if op.method == "GET":
        out[str(op.status)]["headers"] = {"ETag": {"schema": {"type": "string"}}}
        out["304"] = {"description": "Not modified (If-None-Match matched the ETag)"}
    for status in ERRORS:
        out[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    for status, why in BEFORE_APP.items():
        out[str(status)] = {"description": why}
    return out


def document() -> dict:
    """The whole OpenAPI 3.1 document (JSON Schema 2020-12 from pydantic)."""
    wanted = {(m, mode) for op in OPERATIONS for m, mode in
              ((op.body, "validation"), (op.query, "validation"), (op.response, "serialization")) if m is not None}
    wanted.add((Problem, "serialization"))
    refs, defs = models_json_schema(sorted(wanted, key=lambda p: (p[0].__name__, p[1])), ref_template=REF)
    schemas = defs.get("$defs", {})
    query_schemas = {op.query: schemas[refs[(op.query, "validation")]["$ref"].rsplit("/", 1)[1]]
                     for op in OPERATIONS if op.query is not None}
    paths: dict = {}
    for op in OPERATIONS:
        entry = {"operationId": op.endpoint, "summary": str(op.summary), "tags": [op.tag],
                 "description": "Roles: " + ", ".join(op.roles),
                 "parameters": _parameters(op, query_schemas), "responses": _responses(op, refs)}
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": refs[(op.body, "validation")]}}}
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = entry
    problem_ref = refs[(Problem, "serialization")]
    responses = {f"Problem{s}": {"description": KINDS[s][1], "content": {MEDIA_TYPE: {"schema": problem_ref}},
                                 **({"headers": {"Retry-After": {"schema": {"type": "integer"}}}} if s == 429 else {})}
                 for s in ERRORS}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Client satisfaction survey API", "version": "1.0.0",
                 "description": "JSON API of the satisfaction tracking service. Errors are RFC 9457 problem details."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": schemas, "responses": responses,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/docs")
def docs():
    ops = sorted(OPERATIONS, key=lambda op: (op.tag, openapi_path(op.rule), op.method))
    return render_template("api/docs.html", ops=ops, path_of=openapi_path, kinds=KINDS)
