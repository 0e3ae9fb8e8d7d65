"""Covering indexes for the dashboard's counts, each replacing an index it makes redundant.

- classification_prompts (status, asked_user, escalated_at): counts of open, escalated and expired questions,
  everyone's or a team's, read from the index alone; replaces the index on status only, whose prefix it is.
- classifications (classified_at, level): the last 30 days' answers by level from the index alone; replaces
  the index on classified_at only.

Revision ID: 0007
Revises: 0006
Created: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (new index, table, its columns, the index it replaces, that index's column)
INDEXES = (
    ("ix_classification_prompts_status_asked_user_escalated_at", "classification_prompts",
     ["status", "asked_user", "escalated_at"], "ix_classification_prompts_status", "status"),
    ("ix_classifications_classified_at_level", "classifications", ["classified_at", "level"],
     "ix_classifications_classified_at", "classified_at"),
)


def upgrade() -> None:
    for name, table, columns, replaced, _ in INDEXES:
        op.create_index(name, table, columns)
        op.drop_index(replaced, table_name=table)


def downgrade() -> None:
    for name, table, _, replaced, column in INDEXES:
        op.create_index(replaced, table, [column])
        op.drop_index(name, table_name=table)
