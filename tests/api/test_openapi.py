"""GET /openapi.json: a valid OpenAPI 3.1 document, made from the registry, listing every route's security."""

from __future__ import annotations

import importlib.util
from typing import Any

from bot.api import API, API_PREFIX
from tests.api.conftest import ApiClient


async def test_the_document_is_valid_openapi_3_1_and_lists_every_route(api: ApiClient) -> None:
    status, document, _ = await api.call("GET", "/openapi.json")
    assert status == 200 and document["openapi"] == "3.1.0"
    if importlib.util.find_spec("openapi_spec_validator") is not None:  # a dev dependency; else the checks below
        from openapi_spec_validator import validate

        validate(document)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer",
                                                                        "bearerFormat": "JWT"}
    listed = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert listed == {(route.method, API_PREFIX + route.path) for route in API.routes}
    for route in API.routes:
        operation = document["paths"][API_PREFIX + route.path][route.method.lower()]
        assert operation["x-required-role"] == route.access
        assert set(operation["responses"]) >= {"200", "400"}
        declared = {str(status) for status in route.statuses}
        if route.access == "public":
            assert operation["security"] == [] and ("401" in operation["responses"]) == ("401" in declared)
        else:
            assert operation["security"] == [{"bearerAuth": []}] and "401" in operation["responses"]
        assert ("403" in operation["responses"]) == (route.access in ("manager", "admin") or "403" in declared)
        _all_refs_resolve(document, operation)


async def test_parameters_come_from_the_models_that_validate_them(api: ApiClient) -> None:
    _, document, _ = await api.call("GET", "/openapi.json")
    parameters = {p["name"]: p for p in document["paths"][API_PREFIX + "/classifications"]["get"]["parameters"]}
    assert set(parameters) == {"level", "status", "person", "from", "to", "order", "cursor", "limit"}
    assert parameters["limit"]["schema"] == {"default": 50, "maximum": 200, "minimum": 1, "title": "Limit",
                                             "type": "integer"}
    assert parameters["level"]["schema"]["enum"] == ["public", "internal", "confidential"]
    assert parameters["status"]["schema"]["enum"] == ["open", "answered", "expired"]
    assert parameters["from"]["schema"]["format"] == "date-time"
    assert not any(p["required"] for p in parameters.values())
    body = document["paths"][API_PREFIX + "/auth/dingtalk"]["post"]["requestBody"]
    schema = _resolve(document, body["content"]["application/json"]["schema"])
    assert schema["required"] == ["authCode"] and schema["additionalProperties"] is False


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = document
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return found


def _all_refs_resolve(document: dict[str, Any], node: Any) -> None:
    if isinstance(node, dict):
        if "$ref" in node:
            _resolve(document, node)
        for value in node.values():
            _all_refs_resolve(document, value)
    elif isinstance(node, list):
        for value in node:
            _all_refs_resolve(document, value)
