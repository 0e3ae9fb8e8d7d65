"""A form or filter that fails a check says what is wrong in the page's language, at the field, by its label."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.admin.forms import _WORDED, FormErrors, parse, say
from bot.admin.render import Words, strings
from handlers.api.assessment_models import AssessmentQuery, NewAssessment
from handlers.api.assessments import create_assessment
from handlers.api.caller import Caller
from handlers.api.models import ClassificationQuery
from handlers.api.refusals import Refused
from tests.admin.conftest import ADMIN, EMPLOYEE, MANAGER, AdminSite
from tests.admin.examples import employees_assessment
from tests.admin.test_reminder_rules import FORM


async def test_the_campaign_forms_problems_are_in_the_pages_language(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    csrf = await admin.csrf("/app/campaigns/new?lang=zh-Hant")
    form = {"csrf": csrf, "year": "abc", "title": "長" * 201, "signers": "", "order": "sideways", "dueAt": ""}
    status, html, _ = await admin.post("/app/campaigns", data=form)
    assert status == 400
    assert 'id="error-year">請輸入整數<' in html and 'id="error-title">最多 200 個字元<' in html
    assert 'id="error-signers">最少需要 1 項<' in html and 'id="error-order">請從選項中選擇<' in html
    assert 'id="error-dueAt">必須填寫<' in html and "Input should" not in html
    status, html, _ = await admin.post("/app/campaigns?lang=pt", data={**form, "year": "1999"})
    assert 'id="error-year">tem de ser 2000 ou mais<' in html


async def test_a_bad_filter_is_named_in_the_pages_language(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    status, html, _ = await admin.get("/app/assessments?lang=zh-Hant&status=nope&overdue=maybe")
    assert status == 400 and 'id="error-status">請從選項中選擇<' in html
    assert 'id="error-overdue">請從選項中選擇<' in html


async def test_the_previews_problems_name_the_fields_by_their_labels(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    data = {**FORM, "leadDays": "7, 7", "step1.after": "0", "csrf": await admin.csrf()}
    _, fragment, _ = await admin.post("/app/reminder-rules/notification/preview?lang=zh-Hant", data=data)
    assert '<li data-field="leadDays">截止前幾日提醒: ' in fragment and "leadDays:" not in fragment
    assert '<li data-field="step1.after">上報 2 · 逾期工作日: ' in fragment


async def test_a_rules_own_problems_are_in_the_pages_language(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    form = {**FORM, "csrf": await admin.csrf(), "action": "save"}
    bad = {**form, "leadDays": "7, 7", "step1.after": "1", "quietEnd": "20:00"}
    status, html, _ = await admin.post("/app/reminder-rules/notification?lang=zh-Hant", data=bad)
    assert status == 400 and 'id="error-leadDays">7 重複填寫了；每個日數只可填寫一次<' in html
    assert 'id="error-escalation">每一級的逾期工作日須多於前一級（現為 2，其後為 1）<' in html
    assert 'id="error-quietEnd">不可與靜音開始時間相同（靜音時段可跨越午夜）<' in html
    assert "lead days" not in html and "quiet_end" not in html
    _, html, _ = await admin.post("/app/reminder-rules/notification?lang=pt", data=bad)
    assert 'id="error-leadDays">7 aparece duas vezes; indique cada número só uma vez<' in html
    _, html, _ = await admin.post("/app/reminder-rules/notification?lang=pt",
                                  data={**form, "leadDays": "30, 0", "quietStart": "8pm"})
    assert 'id="error-leadDays">cada número tem de estar entre 1 e 366; 0 não está<' in html
    assert 'id="error-quietStart">indique no formato HH:MM (00:00 a 23:59)<' in html
    _, fragment, _ = await admin.post("/app/reminder-rules/notification/preview?lang=zh-Hant", data=bad)
    assert '<li data-field="leadDays">截止前幾日提醒: 7 重複填寫了；每個日數只可填寫一次</li>' in fragment


async def test_a_campaigns_past_due_date_and_unknown_signer_are_in_the_pages_language(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    past = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    form = {"csrf": await admin.csrf(), "year": "2026", "title": "年度簽署", "signers": f"{MANAGER}, nobody.here",
            "order": "parallel", "dueAt": past, "note": ""}
    status, html, _ = await admin.post("/app/campaigns?lang=zh-Hant", data=form)
    assert status == 400 and 'id="error-dueAt">必須是將來的日期<' in html
    assert 'id="error-signers">2: 不是機構通訊錄內的在職人員<' in html and "directory" not in html
    status, html, _ = await admin.post("/app/campaigns?lang=pt", data=form)
    assert status == 400 and 'id="error-dueAt">tem de ser uma data futura<' in html
    assert 'id="error-signers">2: não é um membro ativo do diretório da organização<' in html
    twice = {**form, "signers": f"{MANAGER}, {ADMIN}, {MANAGER}", "dueAt": "2099-01-31"}
    _, html, _ = await admin.post("/app/campaigns?lang=zh-Hant", data=twice)
    assert 'id="error-signers">3: 與第 1 位重複<' in html
    _, html, _ = await admin.post("/app/campaigns?lang=zh-Hant", data={**form, "dueAt": "1999-12-31"})
    assert 'id="error-dueAt">年份須介乎 2000 至 2100<' in html
    _, html, _ = await admin.post("/app/campaigns?lang=pt", data={**form, "dueAt": "2027-02-30"})
    assert 'id="error-dueAt">indique uma data (2027-01-31) ou uma data e hora com fuso horário' in html


async def test_an_assessments_problems_are_in_the_pages_language(site: AdminSite) -> None:
    assessment_id = await employees_assessment(site)
    owner = await site.sign_in(EMPLOYEE)
    csrf, path = await owner.csrf(), f"/app/assessments/{assessment_id}/done"
    status, html, _ = await owner.post(f"{path}?lang=zh-Hant", data={"csrf": csrf, "version": "1", "evidence": ""})
    assert status == 400 and 'id="error-evidence">標記為完成時必須填寫，說明有何證明工作已完成<' in html
    assert 'id="assessment-error">請修正標示的欄位。<' in html and "body member" not in html
    status, html, _ = await owner.post(f"{path}?lang=pt", data={"csrf": csrf, "version": "1", "evidence": ""})
    assert 'id="error-evidence">é obrigatório para a marcar como concluída: indique o que prova' in html
    status, html, _ = await owner.post(f"{path}?lang=pt", data={"csrf": csrf, "version": "7", "evidence": "feito"})
    assert status == 409 and 'id="assessment-error">Esta avaliação foi alterada depois de abrir esta página' in html


async def test_an_assessment_due_in_the_past_is_worded_for_the_pages(site: AdminSite) -> None:
    """No page sets an assessment's due date yet; this is what one would show, while the API keeps its English."""
    now = datetime.now(UTC)
    admin = Caller(user_id=ADMIN, name=ADMIN, title="", role="admin")
    body = NewAssessment(title="Notify the DSAJ", type="notification", owner=EMPLOYEE, due_at=now - timedelta(days=1))
    async with site.sessions() as session:
        with pytest.raises(Refused) as refused:
            await create_assessment(session, admin, body, now=now, policy=site.deps.policy())
    assert refused.value.fields == {"dueAt": "must be later than now"}
    message = refused.value.messages["dueAt"]
    assert say(message, Words("zh-Hant")) == "必須是將來的日期"
    assert say(message, Words("pt")) == "tem de ser uma data futura"


async def test_filters_our_validators_refuse_are_worded_too(site: AdminSite) -> None:
    admin = await site.sign_in(ADMIN)
    status, html, _ = await admin.get("/app/classifications?lang=pt&level=top-secret")
    assert status == 400 and 'id="error-level">escolha uma das opções<' in html
    with pytest.raises(FormErrors) as failed:
        parse(AssessmentQuery, {"dueAfter": "2027-01-02T00:00:00+08:00", "dueBefore": "2027-01-01T00:00:00+08:00",
                                "cursor": "nonsense"}, Words("pt"))
    assert failed.value.fields == {"dueBefore": "tem de ser posterior ao início",
                                   "cursor": "posição de página inválida; comece pela primeira página"}
    with pytest.raises(FormErrors) as failed:
        parse(ClassificationQuery, {"from": "1899-12-31T00:00:00+00:00"}, Words("zh-Hant"))
    assert failed.value.fields == {"from": "年份須介乎 1900 至 2999"}


def test_every_worded_type_has_its_words() -> None:
    assert not {key for key, _ in _WORDED.values()} - set(strings())
