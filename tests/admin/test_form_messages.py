"""A form or filter that fails a check says what is wrong in the page's language, at the field, by its label."""

from __future__ import annotations

from tests.admin.conftest import ADMIN, AdminSite
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
