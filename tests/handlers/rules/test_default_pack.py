"""The shipped pack: the facts from the legal reference that must not drift."""

from __future__ import annotations

from datetime import date

from handlers.rules import RulesPack, default_pack, load_pack
from handlers.rules.models import AfterStart, BeforeProcessing, BeforeTransfer, FilingAfterContract, Recurring
from tests.handlers.rules.packtext import ARTICLE, default_text

REFERENCE_IDS = {
    "MO-NOTIFY-21",
    "MO-AUTH-22",
    "MO-XFER-20-1",
    "MO-XFER-20-2",
    "MO-XFER-GBA-SC",
    "MO-PROCESSOR-17",
    "MO-SECURITY-15-16",
    "MO-INFO-10",
    "MO-DPIA",
}
GBA_CITIES = ("Guangzhou", "Shenzhen", "Zhuhai", "Foshan", "Huizhou", "Dongguan", "Zhongshan", "Jiangmen", "Zhaoqing")


def test_identity_and_regulator(pack: RulesPack) -> None:
    assert pack.pack == "macau-pdpa"
    assert pack.version == "2026.1"
    assert pack.statute.cite == "Law 8/2005"
    assert pack.regulator.abbreviation == "DSPDP"
    assert pack.regulator.since == date(2024, 2, 1)
    assert pack.regulator.name.zh_Hant == "個人資料保護局"
    assert pack.regulator.name.en == "Personal Data Protection Bureau"
    assert pack.regulator.name.pt == "Direcção dos Serviços da Protecção de Dados Pessoais"
    assert "GPDP" in pack.regulator.legacy_aliases


def test_vocabulary(pack: RulesPack) -> None:
    vocabulary = pack.vocabulary
    assert list(vocabulary.levels) == ["public", "internal", "confidential"]
    assert list(vocabulary.personal_data) == ["none", "staff", "customer", "sensitive"]
    assert list(vocabulary.destinations) == ["macau", "mainland", "mainland_gba", "hong_kong", "elsewhere"]
    assert [v for v, term in vocabulary.destinations.items() if not term.leaves_macau] == ["macau"]
    assert pack.platform.stores_in == "mainland"
    gba_hint = vocabulary.destinations["mainland_gba"].hint
    assert gba_hint is not None
    for city in GBA_CITIES:
        assert city in gba_hint.en
    sensitive_hint = vocabulary.personal_data["sensitive"].hint
    assert sensitive_hint is not None
    assert "private life" in sensitive_hint.en and "credit" in sensitive_hint.en


def test_reference_obligations_present(pack: RulesPack) -> None:
    assert set(pack.obligations) >= REFERENCE_IDS


def test_unverified_legal_items_stay_unconfirmed(pack: RulesPack) -> None:
    for obligation_id, obligation in pack.obligations.items():
        if obligation.basis == "legal" and obligation.evidence == "U":
            assert not obligation.confirmed, obligation_id
    unconfirmed = {i for i, o in pack.obligations.items() if o.needs_counsel}
    assert unconfirmed == {"MO-PROCESSOR-17", "MO-XFER-GBA-SC"}


def test_deadlines_and_lead_times(pack: RulesPack) -> None:
    ob = pack.obligations
    assert ob["MO-NOTIFY-21"].deadline == AfterStart(kind="after_start", days=8, counting="calendar")
    assert isinstance(ob["MO-AUTH-22"].deadline, BeforeProcessing) and ob["MO-AUTH-22"].lead_days == 90
    assert isinstance(ob["MO-XFER-20-2"].deadline, BeforeTransfer) and ob["MO-XFER-20-2"].lead_days == 90
    assert isinstance(ob["MO-XFER-20-1"].deadline, BeforeTransfer)
    assert ob["MO-XFER-GBA-SC"].deadline == FilingAfterContract(kind="filing_after_contract", working_days=10)
    assert ob["MO-SECURITY-15-16"].deadline == Recurring(kind="recurring", every="P1Y")


def test_routes_default_to_authorisation(pack: RulesPack) -> None:
    routes = {i: o.options for i, o in pack.obligations.items() if o.options}
    assert routes == {
        "MO-XFER-ROUTE-MAINLAND": ("MO-XFER-20-2", "MO-XFER-20-1"),
        "MO-XFER-ROUTE-GBA": ("MO-XFER-20-2", "MO-XFER-20-1", "MO-XFER-GBA-SC"),
        "MO-XFER-ROUTE": ("MO-XFER-20-2", "MO-XFER-20-1"),
    }
    assert all(pack.obligations[i].assessment_type == "transfer_route" for i in routes)


def test_legal_advice_cites_an_article_in_every_language(pack: RulesPack) -> None:
    for obligation_id, obligation in pack.obligations.items():
        if obligation.basis != "legal" or obligation_id == "MO-XFER-GBA-SC":
            continue
        for language, pattern in ARTICLE.items():
            assert pattern.search(obligation.advice.get(language)), (obligation_id, language)


def test_mainland_advice_says_hangzhou_is_not_in_the_gba(pack: RulesPack) -> None:
    advice = pack.obligations["MO-XFER-ROUTE-MAINLAND"].advice
    assert "Hangzhou" in advice.en and "nine Bay Area cities" in advice.en
    assert "杭州" in advice.zh_Hant and "Hangzhou" in advice.pt


def test_default_pack_is_cached_and_reloads_from_text() -> None:
    assert default_pack() is default_pack()
    assert load_pack(default_text()) == default_pack()
