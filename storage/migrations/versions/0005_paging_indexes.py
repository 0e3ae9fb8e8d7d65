"""Indexes for keyset paging of classifications by person, status, level and date (the mini-program API).

Revision ID: 0005
Revises: 0004
Created: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_classification_prompts_asked_user_id", "classification_prompts", ["asked_user", "id"]),
    ("ix_classification_prompts_status_id", "classification_prompts", ["status", "id"]),
    ("ix_classification_prompts_asked_at", "classification_prompts", ["asked_at"]),
    ("ix_classifications_level_prompt_id", "classifications", ["level", "prompt_id"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
