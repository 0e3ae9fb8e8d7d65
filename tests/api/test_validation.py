"""Bad query values get 400 naming the parameter, after the token and role checks, never echoing the value."""

from __future__ import annotations

from typing import Any

import pytest

from bot.api import ApiRegistry
from bot.api.registry import ApiCall
from handlers.api.models import Me, NoBody, NoQuery, PathModel
from tests.api.conftest import ADMIN, EMPLOYEE, ApiClient, ApiFactory

BAD_QUERIES: list[tuple[str, dict[str, Any], str, str]] = [
    ("/classifications", {"limit": "0"}, "limit", "greater than or equal to 1"),
    ("/classifications", {"limit": "201"}, "limit", "less than or equal to 200"),
    ("/classifications", {"limit": "ten"}, "limit", "valid integer"),
    ("/classifications", {"level": "top-secret"}, "level", "must be one of public, internal, confidential"),
    ("/classifications", {"status": "done"}, "status", "'open', 'answered' or 'expired'"),
    ("/classifications", {"order": "random"}, "order", "'newest' or 'oldest'"),
    ("/classifications", {"from": "yesterday"}, "from", "valid datetime"),
    ("/classifications", {"from": "2026-03-01T09:00:00"}, "from", "timezone"),
    ("/classifications", {"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "to", "later than `from`"),
    ("/classifications", {"cursor": "not-a-cursor"}, "cursor", "is not a cursor this API gave out"),
    ("/classifications", {"person": ""}, "person", "at least 1 character"),
    ("/classifications", {"sort": "name"}, "sort", "is not expected here"),
    ("/audit-events", {"limit": "-1"}, "limit", "greater than or equal to 1"),
    ("/audit-events", {"cursor": "MTIz"}, "cursor", "is not a cursor this API gave out"),
    ("/audit-events", {"cursor": "azE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5"}, "cursor", "is not a cursor this API gave out"),
    ("/me", {"verbose": "1"}, "verbose", "is not expected here"),
]


@pytest.fixture
async def admin(api: ApiClient) -> str:
    return await api.sign_in(ADMIN)


async def test_bad_query_values_get_400_naming_the_field(api: ApiClient, admin: str) -> None:
    for path, params, field, message in BAD_QUERIES:
        status, body, response = await api.call("GET", path, token=admin, params=params)
        assert status == 400 and response.content_type == "application/problem+json", (path, params, body)
        [error] = body["errors"]
        assert error["field"] == field and error["in"] == "query" and message in error["message"], (params, error)
        assert f"query parameter {field}: " in body["detail"]
        for value in params.values():
            if len(value) > 3:
                assert value not in str(body), (params, body)


async def test_a_repeated_parameter_is_refused(api: ApiClient, admin: str) -> None:
    status, body, _ = await api.call("GET", "/classifications", token=admin, params=[("level", "public"),
                                                                                     ("level", "internal")])
    assert status == 400 and body["errors"] == [{"field": "level", "in": "query", "message": "is given more than once"}]


async def test_every_bad_field_is_named_at_once(api: ApiClient, admin: str) -> None:
    status, body, _ = await api.call("GET", "/classifications", token=admin, params={"limit": "x", "status": "y"})
    assert status == 400 and sorted(e["field"] for e in body["errors"]) == ["limit", "status"]


async def test_no_token_or_too_low_a_role_is_answered_before_validation(api: ApiClient) -> None:
    assert (await api.call("GET", "/audit-events", params={"limit": "x"}))[0] == 401
    employee = await api.sign_in(EMPLOYEE)
    assert (await api.call("GET", "/audit-events", token=employee, params={"limit": "x"}))[0] == 403
    assert (await api.call("GET", "/classifications", token=employee, params={"limit": "x"}))[0] == 400


async def test_unknown_paths_and_methods_are_problems_too(api: ApiClient) -> None:
    status, body, _ = await api.call("GET", "/nothing-here")
    assert status == 404 and body["status"] == 404
    status, body, response = await api.call("DELETE", "/me")
    assert status == 405 and "GET" in response.headers["Allow"]


async def test_text_with_a_nul_character_is_refused_wherever_it_comes(api: ApiClient, admin: str) -> None:
    """No database stores U+0000 (PostgreSQL refuses it with an error): a 400 naming the field, not a 500."""
    for path, params in (("/classifications", {"person": "a\x00b"}), ("/audit-events", {"actor": "\x00"})):
        status, body, _ = await api.call("GET", path, token=admin, params=params)
        [field] = params
        assert status == 400 and body["errors"] == [
            {"field": field, "in": "query", "message": "must not contain the NUL character (U+0000)"}], body
    status, body, _ = await api.call("POST", "/rules-pack/validate", token=admin, json={"text": "a: \x00"})
    assert status == 400 and [e["field"] for e in body["errors"]] == ["text"], body
    status, body, _ = await api.call("POST", "/assessments", token=admin, json={
        "title": "Transfer\x00route", "type": "transfer_route", "owner": EMPLOYEE, "dueAt": "2099-01-01T00:00:00Z"})
    assert status == 400 and [e["field"] for e in body["errors"]] == ["title"], body
    status, body, _ = await api.call("PUT", "/reminder-rules/transfer%00route", token=admin, json={"rule": {}})
    assert status == 400 and body["errors"][0]["in"] == "path", body


async def test_an_unexpected_failure_is_a_problem_and_logs_the_route_not_the_path(
    make_api: ApiFactory, caplog: pytest.LogCaptureFixture
) -> None:
    registry = ApiRegistry("test", "1", "/api/v1")

    @registry.route("GET", "/boom/{name}", access="public", query=NoQuery, body=NoBody, response=Me,
                    path_params=NamePath, summary="fails")
    async def boom(call: ApiCall[NoQuery, NoBody, NamePath]) -> Me:
        raise RuntimeError(f"a message that may quote {call.path.name}")

    api = await make_api(registry=registry)
    status, body, _ = await api.call("GET", "/boom/x%0Aforged-entry-7")
    assert status == 500 and body["detail"] == "something went wrong on our side"
    [record] = [r for r in caplog.records if r.name == "bot.api.endpoint"]
    assert record.getMessage().startswith("api: GET /api/v1/boom/{name} failed with RuntimeError\n")
    assert "forged-entry-7" not in caplog.text  # neither the path nor the exception's message (it quotes it)


class NamePath(PathModel):
    name: str
