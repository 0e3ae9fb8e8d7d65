"""Every registered route, walked with every kind of caller: the role checks are where the routes declare them."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.api import API, Route, TokenSigner
from handlers.api.caller import RANK
from storage import directory as store
from tests.api import (
    examples_assessment,
    examples_dashboard,
    examples_register,
    examples_reminder_rule,
    examples_rules_pack,
    examples_signoff,
)
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient
from tests.api.examples import Examples

IDENTITIES = ("none", "forged", "expired", "departed", "employee", "manager", "admin")


async def _sign_in_example(api: ApiClient) -> dict[str, Any]:
    return {"json": {"authCode": await api.auth_code(EMPLOYEE)}}


# Requests a route needs beyond an empty query (tests/api/examples.py); a new route that needs more adds one.
EXAMPLES: Examples = {("POST", "/auth/dingtalk"): _sign_in_example}
for module in (examples_assessment, examples_dashboard, examples_register, examples_reminder_rule,
               examples_rules_pack, examples_signoff):
    EXAMPLES.update(module.EXAMPLES)


def expected_status(route: Route[Any, Any, Any, Any], identity: str) -> int:
    if route.access == "public":
        return 200  # a public route ignores whatever token comes with the request
    if identity in ("none", "forged", "expired", "departed"):
        return 401
    return 200 if RANK[identity] >= RANK[route.access] else 403  # type: ignore[index]


async def tokens_for(api: ApiClient) -> dict[str, str | None]:
    now = datetime.now(UTC)
    ttl = api.deps.tokens.ttl
    return {
        "none": None,
        "forged": TokenSigner(secrets.token_urlsafe(32)).issue(ADMIN, now).token,
        "expired": api.deps.tokens.issue(ADMIN, now - ttl - timedelta(seconds=1)).token,
        "departed": api.deps.tokens.issue("no.such.person", now).token,
        "employee": await api.sign_in(EMPLOYEE),
        "manager": await api.sign_in(MANAGER),
        "admin": await api.sign_in(ADMIN),
    }


async def test_every_route_answers_every_identity_as_it_declares(api: ApiClient) -> None:
    tokens = await tokens_for(api)
    expected: dict[tuple[str, str, str], int] = {}
    observed: dict[tuple[str, str, str], int] = {}
    for route in API.routes:
        example = EXAMPLES.get((route.method, route.path))
        for identity in IDENTITIES:
            request = await example(api) if example else {}
            path = request.pop("path", route.path)
            assert "{" not in path, f"{route.method} {route.path} needs an example that fills in its path"
            status, body, response = await api.call(route.method, path, token=tokens[identity], **request)
            key = (route.method, route.path, identity)
            expected[key], observed[key] = expected_status(route, identity), status
            if status == 401 and route.access != "public":
                assert response.headers["WWW-Authenticate"].startswith("Bearer"), key
            if status in (401, 403):
                assert response.content_type == "application/problem+json" and body["status"] == status, key
    assert observed == expected
    assert len(observed) == len(API.routes) * len(IDENTITIES) >= 6 * len(IDENTITIES)


async def test_roles_come_from_the_directory_on_every_request(api: ApiClient) -> None:
    manager, admin = await api.sign_in(MANAGER), await api.sign_in(ADMIN)
    status, body, _ = await api.call("GET", "/me", token=manager)
    assert (status, body["role"], body["userId"], body["name"]) == (200, "manager", MANAGER, "李美")
    assert (await api.call("GET", "/audit-events", token=manager))[0] == 403
    assert (await api.call("GET", "/audit-events", token=admin))[0] == 200

    # DingTalk no longer lists admin.wong as an org admin: the very next request with the same token is refused.
    async with api.sessions.begin() as session:
        user = await store.get_user(session, ADMIN)
        assert user is not None
        user.is_org_admin = False
    status, body, _ = await api.call("GET", "/me", token=admin)
    assert (status, body["role"]) == (200, "employee")
    status, body, _ = await api.call("GET", "/audit-events", token=admin)
    assert status == 403 and body["detail"] == "this needs the admin role; you are signed in as employee"


async def test_bot_admins_are_admins_and_a_departed_person_loses_access_at_once(
    api: ApiClient, make_api: Callable[..., Awaitable[ApiClient]]
) -> None:
    with_admins = await make_api(bot_admins=frozenset({EMPLOYEE}))
    employee = await with_admins.sign_in(EMPLOYEE)
    status, body, _ = await with_admins.call("GET", "/me", token=employee)
    assert (status, body["role"]) == (200, "admin")
    assert (await with_admins.call("GET", "/audit-events/verify", token=employee))[0] == 200
    # The same token on an API without that BOT_ADMINS entry: the role is looked up, not read from the token.
    status, body, _ = await api.call("GET", "/me", token=employee)
    assert (status, body["role"]) == (200, "employee")

    async with api.sessions.begin() as session:
        await store.deactivate_users(session, [EMPLOYEE])
    status, body, _ = await api.call("GET", "/me", token=employee)
    assert status == 401 and "no longer active" in body["detail"]
