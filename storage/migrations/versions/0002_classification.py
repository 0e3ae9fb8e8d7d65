"""Classification of shared files: the files, the question cards, the answers and their obligations.

Revision ID: 0002
Revises: 0001
Created: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported from storage.models, so later model changes cannot rewrite
# what this revision did.
JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AWARE = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "shared_files",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("dingtalk_file_id", sa.String(length=128), nullable=True),
        sa.Column("space_id", sa.String(length=128), nullable=True),
        sa.Column("download_code", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("shared_by", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("conversation_title", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("shared_at", AWARE, nullable=False),
        sa.CheckConstraint("channel IN ('direct', 'group_quote', 'drive')", name=op.f("ck_shared_files_channel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_files")),
    )
    with op.batch_alter_table("shared_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shared_files_dingtalk_file_id"), ["dingtalk_file_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shared_files_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_shared_files_shared_at"), ["shared_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_shared_files_shared_by"), ["shared_by"], unique=False)

    op.create_table(
        "classification_prompts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("file_id", BIG_ID, nullable=False),
        sa.Column("asked_user", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=True),
        sa.Column("personal_data", sa.String(length=32), nullable=True),
        sa.Column("destination", sa.String(length=32), nullable=True),
        sa.Column("suggested_level", sa.String(length=32), nullable=True),
        sa.Column("previous_level", sa.String(length=32), nullable=True),
        sa.Column("awaiting_reason", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("asked_at", AWARE, nullable=False),
        sa.Column("next_check_at", AWARE, nullable=True),
        sa.Column("nudged_at", AWARE, nullable=True),
        sa.Column("escalated_at", AWARE, nullable=True),
        sa.Column("escalated_to", JSON_VALUE, nullable=False),
        sa.Column("closed_at", AWARE, nullable=True),
        sa.CheckConstraint("status IN ('open', 'answered', 'expired')", name=op.f("ck_classification_prompts_status")),
        sa.ForeignKeyConstraint(
            ["file_id"], ["shared_files.id"], name=op.f("fk_classification_prompts_file_id_shared_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_prompts")),
        sa.UniqueConstraint("card_id", name=op.f("uq_classification_prompts_card_id")),
    )
    with op.batch_alter_table("classification_prompts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_classification_prompts_asked_user"), ["asked_user"], unique=False)
        batch_op.create_index(batch_op.f("ix_classification_prompts_file_id"), ["file_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_classification_prompts_next_check_at"), ["next_check_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_classification_prompts_status"), ["status"], unique=False)

    op.create_table(
        "classifications",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("prompt_id", BIG_ID, nullable=False),
        sa.Column("file_id", BIG_ID, nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("personal_data", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("classified_by", sa.String(length=64), nullable=False),
        sa.Column("classified_at", AWARE, nullable=False),
        sa.Column("rules_version", sa.String(length=32), nullable=False),
        sa.Column("obligation_ids", JSON_VALUE, nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["shared_files.id"], name=op.f("fk_classifications_file_id_shared_files")),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["classification_prompts.id"],
            name=op.f("fk_classifications_prompt_id_classification_prompts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifications")),
        sa.UniqueConstraint("prompt_id", name=op.f("uq_classifications_prompt_id")),
    )
    with op.batch_alter_table("classifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_classifications_classified_at"), ["classified_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_classifications_classified_by"), ["classified_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_classifications_file_id"), ["file_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_classifications_level"), ["level"], unique=False)

    op.create_table(
        "pending_obligations",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("obligation_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("classification_id", BIG_ID, nullable=True),
        sa.Column("dedup_key", sa.String(length=160), nullable=False),
        sa.Column("suggested_owner", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("details", JSON_VALUE, nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.ForeignKeyConstraint(
            ["classification_id"],
            ["classifications.id"],
            name=op.f("fk_pending_obligations_classification_id_classifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_obligations")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_pending_obligations_dedup_key")),
    )
    with op.batch_alter_table("pending_obligations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_obligations_classification_id"), ["classification_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pending_obligations_obligation_id"), ["obligation_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it.
    for table in ("pending_obligations", "classifications", "classification_prompts", "shared_files"):
        op.drop_table(table)
