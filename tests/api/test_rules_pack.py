"""GET/PUT /rules-pack and its versions: admins only, checked with line numbers, every version kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.rules.active import default_text, text_sha256
from handlers.rules.pack import default_pack
from storage.audit import list_audit
from storage.models import RulesPackVersion
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient
from tests.api.examples_rules_pack import bumped
from tests.handlers.rules.packtext import line_of

SUMMARY = {"rules": len(default_pack().rules), "obligations": len(default_pack().obligations)}


@pytest.fixture
async def admin(api: ApiClient) -> str:
    return await api.sign_in(ADMIN)


def edited(old: str, new: str, *, version: str = "2026.2") -> tuple[str, int]:
    """The shipped pack under `version`, with `old` (which must occur once) replaced; and the line of `old`."""
    text = bumped(version)
    return text.replace(old, new), line_of(text, old)


async def put(api: ApiClient, token: str, text: str, based_on: int, note: str | None = None) -> tuple[int, Any]:
    body: dict[str, Any] = {"text": text, "basedOn": based_on}
    if note is not None:
        body["note"] = note
    status, answer, _ = await api.call("PUT", "/rules-pack", token=token, json=body)
    return status, answer


async def stored_versions(api: ApiClient) -> int:
    async with api.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(RulesPackVersion)) or 0)


async def test_only_admins_read_or_change_the_pack(api: ApiClient, admin: str) -> None:
    for user in (EMPLOYEE, MANAGER):
        token = await api.sign_in(user)
        assert (await api.call("GET", "/rules-pack", token=token))[0] == 403
        assert (await put(api, token, bumped(), 0))[0] == 403
        assert (await api.call("GET", "/rules-pack/versions", token=token))[0] == 403
        assert (await api.call("POST", "/rules-pack/validate", token=token, json={"text": bumped()}))[0] == 403
    assert await stored_versions(api) == 0

    status, body, _ = await api.call("GET", "/rules-pack", token=admin)
    assert status == 200
    assert {k: body[k] for k in ("version", "packName", "packVersion", "isDefault", "isActive", "createdBy")} == {
        "version": 0, "packName": "macau-pdpa", "packVersion": "2026.1", "isDefault": True, "isActive": True,
        "createdBy": None}
    assert (body["text"], body["sha256"]) == (default_text(), text_sha256(default_text()))
    assert body["summary"] == SUMMARY


async def test_a_save_becomes_the_active_version_and_is_audited(api: ApiClient, admin: str) -> None:
    text = bumped()
    status, body = await put(api, admin, text, 0, note="first local edit")
    assert status == 200, body
    assert {k: body[k] for k in ("version", "packVersion", "isDefault", "isActive", "createdBy", "note")} == {
        "version": 1, "packVersion": "2026.2", "isDefault": False, "isActive": True, "createdBy": ADMIN,
        "note": "first local edit"}
    assert body["sha256"] == text_sha256(text) and body["createdAt"]
    status, active, _ = await api.call("GET", "/rules-pack", token=admin)
    assert (status, active) == (200, body)

    async with api.sessions() as session:
        entries = await list_audit(session, limit=100, action="rules_pack.updated")
    assert [(e.actor, e.subject) for e in entries] == [(ADMIN, "rules_pack:1")]
    assert entries[0].details == {
        "version": 1, "basedOn": 0, "oldSha256": text_sha256(default_text()), "newSha256": text_sha256(text),
        "oldPackVersion": "2026.1", "newPackVersion": "2026.2", "note": "first local edit"}


async def test_the_same_text_again_saves_nothing(api: ApiClient, admin: str) -> None:
    status, body = await put(api, admin, default_text(), 0)
    assert (status, body["version"], body["isDefault"]) == (200, 0, True)
    assert await stored_versions(api) == 0

    assert (await put(api, admin, bumped(), 0))[0] == 200
    status, body = await put(api, admin, bumped(), 0)  # a stale basedOn, but nothing would change
    assert (status, body["version"]) == (200, 1)
    assert await stored_versions(api) == 1
    async with api.sessions() as session:
        assert len(await list_audit(session, limit=100, action="rules_pack.updated")) == 1


async def test_an_edit_of_a_version_no_longer_active_is_refused(api: ApiClient, admin: str) -> None:
    assert (await put(api, admin, bumped("2026.2"), 0))[0] == 200
    status, body = await put(api, admin, bumped("2026.3"), 0)
    assert status == 409
    assert "version 1 is active now, not 0" in body["detail"] and "reload" in body["detail"]
    assert (await put(api, admin, bumped("2026.3"), 7))[0] == 409
    assert await stored_versions(api) == 1


async def test_broken_yaml_is_refused_with_its_line(api: ApiClient, admin: str) -> None:
    text, line = edited("  name: DingTalk\n", "  name: DingTalk: chat\n")
    status, body = await put(api, admin, text, 0)
    assert status == 400
    assert body["errors"][0]["field"] == "text" and body["errors"][0]["in"] == "body"
    assert body["errors"][0]["message"].startswith(f"line {line}: YAML syntax")
    assert body["detail"].startswith(f"body member text: line {line}: ")
    assert await stored_versions(api) == 0


async def test_a_schema_error_is_refused_with_its_line(api: ApiClient, admin: str) -> None:
    old = "    deadline: {kind: after_start, days: 8, counting: calendar}\n"
    text, line = edited(old, "    deadline: {kind: soon, days: 8}\n")
    status, body = await put(api, admin, text, 0)
    assert status == 400
    [error] = body["errors"]
    assert error["message"].startswith(f"line {line}: obligations.MO-NOTIFY-21.deadline")
    assert "'soon'" in error["message"]


async def test_the_vocabulary_must_stay_as_shipped(api: ApiClient, admin: str) -> None:
    old = "    confidential:\n      label: {zh-Hant: 機密, en: Confidential, pt: Confidencial}\n"
    text, _ = edited(old, "    secret:\n      label: {zh-Hant: 機密, en: Secret, pt: Secreto}\n")
    text = text.replace("level: [confidential]", "level: [secret]")
    status, body = await put(api, admin, text, 0)
    assert status == 400
    [error] = body["errors"]
    assert error["message"] == (
        f"line {line_of(text, '  levels:')}: vocabulary.levels: must keep the answers public, internal, confidential "
        "in this order, because the cards and the API are built from them: 'confidential' is missing; 'secret' is new")

    labels = "label: {zh-Hant: 公開, en: Public, pt: Público}"
    relabelled, _ = edited(labels, "label: {zh-Hant: 公開, en: Open to all, pt: Público}")
    assert (await put(api, admin, relabelled, 0))[0] == 200  # the words may change, the values may not


async def test_a_version_string_names_one_text(api: ApiClient, admin: str) -> None:
    text, _ = edited("  name: DingTalk\n", "  name: DingTalk (Alibaba)\n", version="2026.1")
    status, body = await put(api, admin, text, 0)
    assert status == 400
    assert body["errors"][0]["message"].startswith(f"line {line_of(text, 'version: ')}: version: '2026.1' is already")
    assert "the shipped pack" in body["errors"][0]["message"]

    assert (await put(api, admin, bumped("2026.2"), 0))[0] == 200
    again, _ = edited("  name: DingTalk\n", "  name: DingTalk (Alibaba)\n", version="2026.2")
    status, body = await put(api, admin, again, 1)
    assert status == 400 and "saved version 1" in body["errors"][0]["message"]
    # Going back to the shipped text is fine: "2026.1" still names that one text.
    status, body = await put(api, admin, default_text(), 1)
    assert (status, body["version"], body["packVersion"], body["isDefault"]) == (200, 2, "2026.1", False)


async def test_old_versions_are_kept_and_readable(api: ApiClient, admin: str) -> None:
    first, second = bumped("2026.2"), bumped("2026.3")
    assert (await put(api, admin, first, 0, note="one"))[0] == 200
    assert (await put(api, admin, second, 1, note="two"))[0] == 200

    status, listing, _ = await api.call("GET", "/rules-pack/versions", token=admin)
    assert status == 200
    assert [(i["version"], i["packVersion"], i["isActive"], i["note"]) for i in listing["items"]] == [
        (2, "2026.3", True, "two"), (1, "2026.2", False, "one")]
    assert "text" not in listing["items"][0]

    status, old, _ = await api.call("GET", "/rules-pack/versions/1", token=admin)
    assert status == 200
    assert (old["text"], old["sha256"], old["isActive"], old["summary"]) == (
        first, text_sha256(first), False, SUMMARY)
    status, body, _ = await api.call("GET", "/rules-pack/versions/3", token=admin)
    assert status == 404 and body["detail"] == "there is no saved rules pack version 3"
    status, body, _ = await api.call("GET", "/rules-pack/versions/0", token=admin)
    assert status == 400 and body["errors"][0]["field"] == "id"


async def test_validate_reports_every_problem_and_saves_nothing(api: ApiClient, admin: str) -> None:
    status, body, _ = await api.call("POST", "/rules-pack/validate", token=admin, json={"text": bumped()})
    assert (status, body) == (200, {"valid": True, "problems": []})

    text, unknown = edited("    obligations: [MO-AUTH-22, MO-DPIA]\n", "    obligations: [MO-AUTH-22, MO-DPIA-X]\n")
    text = text.replace("    assessment_type: prior_authorisation\n",
                        "    assessment_type: prior_authorisation\n    severity: high\n")
    extra = line_of(text, "    severity: high")
    status, body, _ = await api.call("POST", "/rules-pack/validate", token=admin, json={"text": text})
    assert status == 200 and body["valid"] is False
    assert body["problems"] == [{"line": extra, "message": "obligations.MO-AUTH-22.severity: unknown key 'severity'"}]
    # Cross-checks run once the pack's shape is right, so the unknown obligation shows after the key is gone.
    text = text.replace("    severity: high\n", "")
    status, body, _ = await api.call("POST", "/rules-pack/validate", token=admin, json={"text": text})
    assert body["problems"] == [{"line": unknown, "message": "rules[2].obligations[1]: unknown obligation 'MO-DPIA-X'"}]
    assert await stored_versions(api) == 0


async def test_bad_bodies_name_the_member(api: ApiClient, admin: str) -> None:
    status, body, _ = await api.call("PUT", "/rules-pack", token=admin, json={"text": bumped()})
    assert status == 400 and [e["field"] for e in body["errors"]] == ["basedOn"]
    status, body, _ = await api.call("PUT", "/rules-pack", token=admin, json={"text": "", "basedOn": -1})
    assert status == 400 and sorted(e["field"] for e in body["errors"]) == ["basedOn", "text"]
    status, body, _ = await api.call("POST", "/rules-pack/validate", token=admin, json={"text": "- a\n- b\n"})
    assert (status, body["problems"]) == (200, [{"line": 1, "message": "the pack must be a mapping of keys"}])
