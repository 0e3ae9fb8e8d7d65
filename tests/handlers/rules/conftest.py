from __future__ import annotations

import pytest

from handlers.rules import RulesPack, default_pack


@pytest.fixture(scope="session")
def pack() -> RulesPack:
    return default_pack()
