"""Initial schema: frame dedup, directory cache, preferences, outbox, audit log.

Revision ID: 0001
Revises:
Created: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported from storage.models, so later model changes cannot rewrite
# what this revision did.
JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AWARE = sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_processed_frames()
    _create_directory()
    _create_user_preferences()
    _create_outbox_messages()
    _create_audit_events()


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it.
    for table in (
        "audit_events",
        "outbox_messages",
        "user_preferences",
        "directory_departments",
        "directory_users",
        "processed_frames",
    ):
        op.drop_table(table)


def _create_processed_frames() -> None:
    op.create_table(
        "processed_frames",
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("frame_type", sa.String(16), nullable=False),
        sa.Column("received_at", AWARE, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ack_code", sa.Integer(), nullable=False),
        sa.Column("ack_message", sa.Text(), nullable=False),
        sa.Column("ack_data", JSON_VALUE, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('handled', 'rejected', 'failed')", name=op.f("ck_processed_frames_status")),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_processed_frames")),
    )
    op.create_index(op.f("ix_processed_frames_received_at"), "processed_frames", ["received_at"])


def _create_directory() -> None:
    op.create_table(
        "directory_users",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("union_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("manager_user_id", sa.String(64), nullable=True),
        sa.Column("dept_ids", JSON_VALUE, nullable=False),
        sa.Column("leader_in_depts", JSON_VALUE, nullable=False),
        sa.Column("is_org_admin", sa.Boolean(), nullable=False),
        sa.Column("is_boss", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("refreshed_at", AWARE, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_directory_users")),
    )
    op.create_index(op.f("ix_directory_users_manager_user_id"), "directory_users", ["manager_user_id"])
    op.create_table(
        "directory_departments",
        sa.Column("dept_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("manager_user_ids", JSON_VALUE, nullable=False),
        sa.Column("refreshed_at", AWARE, nullable=False),
        sa.PrimaryKeyConstraint("dept_id", name=op.f("pk_directory_departments")),
    )
    op.create_index(op.f("ix_directory_departments_parent_id"), "directory_departments", ["parent_id"])


def _create_user_preferences() -> None:
    op.create_table(
        "user_preferences",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("updated_at", AWARE, nullable=False),
        sa.CheckConstraint("language IN ('zh-Hant', 'en', 'pt')", name=op.f("ck_user_preferences_language")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_preferences")),
    )


def _create_outbox_messages() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", JSON_VALUE, nullable=False),
        sa.Column("dedup_key", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", AWARE, nullable=False),
        sa.Column("claimed_until", AWARE, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", JSON_VALUE, nullable=True),
        sa.Column("sent_at", AWARE, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_outbox_messages_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_messages_dedup_key")),
    )
    op.create_index(op.f("ix_outbox_messages_status_next_attempt_at"), "outbox_messages", ["status", "next_attempt_at"])


def _create_audit_events() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", AWARE, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        # Plain json on PostgreSQL too: the audit hash covers these exact values (see storage.types).
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_actor"), "audit_events", ["actor"])
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"])
