"""The OpenAPI 3.1 document, generated from the route registry and the routes' own pydantic models."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.api.problems import PROBLEM_JSON, Problem
from bot.api.registry import ApiRegistry, Route
from handlers.api.models import NoPath

OPENAPI_VERSION: Final = "3.1.0"
REF_TEMPLATE: Final = "#/components/schemas/{model}"
SECURITY_SCHEME: Final = "bearerAuth"


def openapi_document(registry: ApiRegistry) -> dict[str, Any]:
    """Every registered route with its parameters, body, answers, security and the role it needs."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Problem, "serialization")]
    for route in registry.routes:
        models += [(route.query, "validation"), (route.path_params, "validation")]
        if not route.downloads:
            models.append((route.response, "serialization"))
        if route.reads_body:
            models.append((route.body, "validation"))
    refs, top = models_json_schema(list(dict.fromkeys(models)), ref_template=REF_TEMPLATE)
    schemas: dict[str, Any] = top.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for route in registry.routes:
        operation = _operation(route, refs, schemas)
        paths.setdefault(registry.prefix + route.path, {})[route.method.lower()] = operation
    for route in registry.routes:  # query and path models became parameters; nothing refers to them
        schemas.pop(_name(refs[(route.query, "validation")]), None)
        schemas.pop(_name(refs[(route.path_params, "validation")]), None)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": registry.title, "version": registry.version,
                 "description": "Roles rank employee < manager < admin; each operation names the role it needs "
                                "in `x-required-role` and is refused with 403 below it."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _operation(route: Route[Any, Any, Any, Any], refs: dict[Any, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": list(route.tags),
        "x-required-role": route.access,
        "security": [] if route.access == "public" else [{SECURITY_SCHEME: []}],
        "parameters": _parameters(route, refs, schemas),
        "responses": _responses(route, refs),
    }
    if route.description:
        operation["description"] = route.description
    if route.reads_body:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": refs[(route.body, "validation")]}}}
    return operation


def _parameters(
    route: Route[Any, Any, Any, Any], refs: dict[Any, Any], schemas: dict[str, Any]
) -> list[dict[str, Any]]:
    parameters = []
    for location, model in (("path", route.path_params), ("query", route.query)):
        declared = schemas[_name(refs[(model, "validation")])]
        required = set(declared.get("required", ()))
        for name, schema in declared.get("properties", {}).items():
            parameter = {"name": name, "in": location, "required": location == "path" or name in required,
                         "schema": _not_null(schema)}
            if "description" in schema:
                parameter["description"] = schema["description"]
            parameters.append(parameter)
    return parameters


def _name(ref: dict[str, str]) -> str:
    return ref["$ref"].rsplit("/", 1)[1]


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter is absent, never null: `anyOf [X, null]` with default null becomes X."""
    options = schema.get("anyOf")
    if schema.get("default", ...) is not None or not isinstance(options, list):
        return schema
    kept = [option for option in options if option != {"type": "null"}]
    if len(kept) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return {**rest, **kept[0]}


def _responses(route: Route[Any, Any, Any, Any], refs: dict[Any, Any]) -> dict[str, Any]:
    if route.downloads:
        ok = {"description": "OK, as a file",
              "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in route.media_types}}
    else:
        ok = {"description": "OK",
              "content": {"application/json": {"schema": refs[(route.response, "serialization")]}}}
    statuses = {400, 500, *route.statuses}
    if route.access != "public":
        statuses.add(401)
    if route.access not in ("public", "employee"):
        statuses.add(403)
    if route.rate_limited:
        statuses.add(429)
    if route.reads_body:
        statuses |= {413, 415}  # a body over the server's limit (1 MiB), or not JSON
    if route.path_params is not NoPath:
        statuses.add(404)
    problem = {PROBLEM_JSON: {"schema": refs[(Problem, "serialization")]}}
    answers: dict[str, Any] = {"200": ok}
    for status in sorted(statuses):
        answers[str(status)] = {"description": HTTPStatus(status).phrase, "content": problem}
    return answers
