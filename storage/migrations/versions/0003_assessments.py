"""Assessments, the reminder rule per assessment type, and the reminders planned for them.

Revision ID: 0003
Revises: 0002
Created: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported from storage.models, so later model changes cannot rewrite
# what this revision did.
JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AWARE = sa.DateTime(timezone=True)

ASSESSMENT_TYPES = (
    "type IN ('transfer_route', 'notification', 'prior_authorisation', 'processor_contract', "
    "'impact_assessment', 'simplified_notification_renewal', 'self_assessment')"
)
ASSESSMENT_STATUSES = "status IN ('open', 'in_progress', 'done', 'waived')"
ASSESSMENT_SOURCES = "source IN ('admin', 'rules_pack', 'recurring', 'programme')"
REMINDER_STATUSES = "status IN ('planned', 'sending', 'sent', 'skipped', 'failed')"


def upgrade() -> None:
    _create_assessments()
    _create_reminder_rules()
    _create_reminders()


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it; reminders refer to assessments.
    for table in ("reminders", "reminder_rules", "assessments"):
        op.drop_table(table)


def _create_assessments() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("due_at", AWARE, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("data_flow", JSON_VALUE, nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("waived_reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("obligation_id", sa.String(length=64), nullable=True),
        sa.Column("pending_obligation_id", BIG_ID, nullable=True),
        sa.Column("programme_id", sa.String(length=64), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("snoozed_until", AWARE, nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("updated_at", AWARE, nullable=False),
        sa.Column("closed_at", AWARE, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(ASSESSMENT_TYPES, name=op.f("ck_assessments_type")),
        sa.CheckConstraint(ASSESSMENT_STATUSES, name=op.f("ck_assessments_status")),
        sa.CheckConstraint(ASSESSMENT_SOURCES, name=op.f("ck_assessments_source")),
        sa.ForeignKeyConstraint(
            ["pending_obligation_id"],
            ["pending_obligations.id"],
            name=op.f("fk_assessments_pending_obligation_id_pending_obligations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("pending_obligation_id", name=op.f("uq_assessments_pending_obligation_id")),
    )
    op.create_index(op.f("ix_assessments_owner"), "assessments", ["owner"])
    op.create_index(op.f("ix_assessments_due_at"), "assessments", ["due_at"])
    op.create_index(op.f("ix_assessments_status"), "assessments", ["status"])
    op.create_index(op.f("ix_assessments_programme_id"), "assessments", ["programme_id"])


def _create_reminder_rules() -> None:
    op.create_table(
        "reminder_rules",
        sa.Column("assessment_type", sa.String(length=48), nullable=False),
        sa.Column("settings", JSON_VALUE, nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", AWARE, nullable=False),
        sa.PrimaryKeyConstraint("assessment_type", name=op.f("pk_reminder_rules")),
    )


def _create_reminders() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("assessment_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("send_at", AWARE, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", AWARE, nullable=True),
        sa.Column("next_attempt_at", AWARE, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("sent_at", AWARE, nullable=True),
        sa.Column("delivery", JSON_VALUE, nullable=True),
        sa.Column("read_at", AWARE, nullable=True),
        sa.Column("acted_at", AWARE, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(REMINDER_STATUSES, name=op.f("ck_reminders_status")),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name=op.f("fk_reminders_assessment_id_assessments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_reminders_idempotency_key")),
    )
    op.create_index(op.f("ix_reminders_assessment_id"), "reminders", ["assessment_id"])
    op.create_index(op.f("ix_reminders_recipient"), "reminders", ["recipient"])
    op.create_index(op.f("ix_reminders_status_next_attempt_at"), "reminders", ["status", "next_attempt_at"])
