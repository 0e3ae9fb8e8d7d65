"""Indexes for a date window of classifications and for one subject's audit history.

- classification_prompts (asked_at, id) replaces (asked_at): the first and last question id of a date window
  come from the index alone, so a window long ago is paged from its own ids instead of walking every newer row.
- audit_events (subject): an assessment's or a campaign's history without reading the whole log.

Revision ID: 0008
Revises: 0007
Created: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_classification_prompts_asked_at_id", "classification_prompts", ["asked_at", "id"])
    op.drop_index("ix_classification_prompts_asked_at", table_name="classification_prompts")
    op.create_index("ix_audit_events_subject", "audit_events", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_subject", table_name="audit_events")
    op.create_index("ix_classification_prompts_asked_at", "classification_prompts", ["asked_at"])
    op.drop_index("ix_classification_prompts_asked_at_id", table_name="classification_prompts")
