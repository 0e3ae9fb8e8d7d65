"""Broken packs are refused with the line and the reason."""

from __future__ import annotations

import pytest

from handlers.rules import RulesPackError, load_pack
from tests.handlers.rules.packtext import default_text, edit, line_of


def refused(text: str) -> RulesPackError:
    with pytest.raises(RulesPackError) as caught:
        load_pack(text, source="pack.yaml")
    return caught.value


def test_yaml_syntax_error() -> None:
    text, line = edit("  name: DingTalk\n", "  name: DingTalk: chat\n")
    error = refused(text)
    assert error.line == line
    assert "YAML syntax" in error.reason and "mapping values are not allowed" in error.reason
    assert str(error).startswith(f"pack.yaml: line {line}: ")


def test_a_control_character_is_refused_with_its_line() -> None:
    text, line = edit("  name: DingTalk\n", "  name: Ding\x01Talk\n")
    error = refused(text)
    assert (error.line, error.reason) == (line, "YAML syntax: character #x0001 is not allowed in a rules pack")


def test_unknown_obligation_in_rule() -> None:
    text, line = edit("    obligations: [MO-AUTH-22, MO-DPIA]\n", "    obligations: [MO-AUTH-22, MO-DPIA-X]\n")
    error = refused(text)
    assert (error.line, error.reason) == (line, "unknown obligation 'MO-DPIA-X'")
    assert "rules[2].obligations[1]" in str(error)


def test_unknown_answer_value_in_rule() -> None:
    text, line = edit("destination: [mainland_gba]}", "destination: [mainland_gbx]}")
    error = refused(text)
    assert error.line == line
    assert error.reason.startswith("unknown destination 'mainland_gbx'")


def test_missing_language_in_block_text() -> None:
    old = "      pt: Contrato-tipo da Grande Baía (Interior da China, Macau)\n"
    text, line = edit(old, "")
    error = refused(text)
    assert error.line == line - 3  # the `title:` key above zh-Hant and en
    assert error.reason == "missing language 'pt'"
    assert "obligations.MO-XFER-GBA-SC.title.pt" in str(error)


def test_missing_language_in_flow_text() -> None:
    text, line = edit("label: {zh-Hant: 公開, en: Public, pt: Público}", "label: {zh-Hant: 公開, en: Public}")
    error = refused(text)
    assert (error.line, error.reason) == (line, "missing language 'pt'")


def test_unknown_key() -> None:
    old = "    assessment_type: prior_authorisation\n"
    text, line = edit(old, old + "    severity: high\n")
    error = refused(text)
    assert (error.line, error.reason) == (line + 1, "unknown key 'severity'")


def test_unknown_top_level_key() -> None:
    text, line = edit("pack: macau-pdpa\n", "pack: macau-pdpa\npacks: other\n")
    error = refused(text)
    assert (error.line, error.reason) == (line + 1, "unknown key 'packs'")


def test_wrong_deadline_kind() -> None:
    old = "    deadline: {kind: after_start, days: 8, counting: calendar}\n"
    text, line = edit(old, "    deadline: {kind: soon, days: 8}\n")
    error = refused(text)
    assert error.line == line
    assert "'soon'" in error.reason and "before_transfer" in error.reason


def test_deadline_field_of_another_kind() -> None:
    old = "    deadline: {kind: filing_after_contract, working_days: 10}\n"
    text, line = edit(old, "    deadline: {kind: before_transfer, working_days: 10}\n")
    error = refused(text)
    assert (error.line, error.reason) == (line, "unknown key 'working_days'")


def test_bad_recurrence() -> None:
    text, line = edit("{kind: recurring, every: P1Y}", "{kind: recurring, every: yearly}")
    error = refused(text)
    assert error.line == line and "should match pattern" in error.reason


def test_missing_version() -> None:
    text = default_text()
    error = refused(text.replace('version: "2026.1"\n', ""))
    assert (error.line, error.reason) == (line_of(text, "pack: macau-pdpa"), "missing key 'version'")


def test_unquoted_version() -> None:
    text, line = edit('version: "2026.1"', "version: 2026.1")
    error = refused(text)
    assert error.line == line and "quote it" in error.reason


def test_duplicate_key() -> None:
    old = "    basis: good_practice\n"
    text = default_text()
    first = text.index(old) + len(old)
    broken = text[:first] + "    basis: legal\n" + text[first:]
    error = refused(broken)
    assert error.line == broken[:first].count("\n") + 1
    assert error.reason == "duplicate key 'basis'"


def test_aliases_refused() -> None:
    text, line = edit("  note: DingTalk keeps", "  note: *platform\n  other: DingTalk keeps")
    error = refused(text)
    assert error.line == line and "aliases" in error.reason


def test_legal_item_needs_evidence() -> None:
    old = "    evidence: U\n"
    text, line = edit(old, "")
    error = refused(text)
    assert error.reason == "a legal obligation needs its evidence (V, S or U)"
    assert error.line == line - 1  # the `basis:` line


def test_unknown_route_option() -> None:
    text, line = edit(
        "options: [MO-XFER-20-2, MO-XFER-20-1, MO-XFER-GBA-SC]", "options: [MO-XFER-20-2, MO-XFER-20-1, MO-XFER-GBA]"
    )
    error = refused(text)
    assert (error.line, error.reason) == (line, "unknown obligation 'MO-XFER-GBA'")


def test_alias_clash() -> None:
    text, line = edit("aliases: [hk, hksar, 香港特區]", "aliases: [hk, hksar, 香港特區, macao]")
    error = refused(text)
    assert error.line == line and "'macao' would mean both 'macau' and 'hong_kong'" in error.reason


@pytest.mark.parametrize(("text", "reason"), [("", "the pack is empty"), ("- a\n- b\n", "must be a mapping")])
def test_not_a_pack(text: str, reason: str) -> None:
    error = refused(text)
    assert error.line == 1 and reason in error.reason


def test_every_problem_is_kept_first_line_first() -> None:
    text, _ = edit("    obligations: [MO-AUTH-22, MO-DPIA]\n", "    obligations: [MO-AUTH-2, MO-DPI]\n")
    error = refused(text)
    assert len(error.problems) == 2 and "(and 1 more problem)" in str(error)
    assert error.problems[0].line <= error.problems[1].line
