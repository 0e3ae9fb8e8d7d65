"""A suggested level for a shared file, from simple signals in its name."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Words in a file name that usually mean personal or restricted content, in the languages Macau files use.
CONFIDENTIAL_WORDS = (
    "身份證", "身份证", "bir", "護照", "护照", "passport", "客戶", "客户", "customer", "client", "salary",
    "salário", "薪金", "薪酬", "工資", "工资", "payroll", "hr", "人事", "人力資源", "履歷", "简历", "cv", "resume",
    "medical", "醫療", "病假", "體檢", "contract", "合約", "合同", "bank", "銀行", "account", "帳戶",
    "confidential", "機密",
)
PUBLIC_WORDS = ("brochure", "press release", "新聞稿", "宣傳", "單張", "public", "公開", "catalogue", "menu")


def _matches(name: str, words: Iterable[str]) -> bool:
    lowered = name.lower()
    for word in words:
        word = word.lower().strip()
        if not word:
            continue
        # Short Latin words only count as whole words ("hr" must not match "three").
        if word.isascii() and len(word) <= 4:
            if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lowered):
                return True
        elif word in lowered:
            return True
    return False


def suggest_level(file_name: str, org_keywords: Iterable[str] = ()) -> str | None:
    """`confidential` or `public` when the name says so, else None (no guess is better than a wrong one)."""
    if _matches(file_name, (*CONFIDENTIAL_WORDS, *org_keywords)):
        return "confidential"
    if _matches(file_name, PUBLIC_WORDS):
        return "public"
    return None
