"""The annual compliance sign-off: snapshots and their reports, campaigns, and signers.

Revision ID: 0004
Revises: 0003
Created: 2026-12-13
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported from storage.models, so later model changes cannot rewrite
# what this revision did.
JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Hashed JSON stays plain json on PostgreSQL: JSONB would rewrite numbers and break the hash.
EXACT_JSON = sa.JSON()
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AWARE = sa.DateTime(timezone=True)

REPORT_LANGUAGES = "language IN ('zh-Hant', 'en', 'pt')"
SIGNING_ORDERS = "signing_order IN ('parallel', 'sequential')"
CAMPAIGN_STATUSES = "status IN ('draft', 'active', 'completed', 'rejected', 'cancelled', 'superseded')"
SIGNER_STATUSES = "status IN ('waiting', 'pending', 'approved', 'rejected')"


def upgrade() -> None:
    # Campaigns point at snapshots, never the other way, so this order satisfies every foreign key.
    _create_signoff_snapshots()
    _create_signoff_reports()
    _create_signoff_campaigns()
    _create_signoff_signers()


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it; drop referrers first.
    for table in ("signoff_signers", "signoff_campaigns", "signoff_reports", "signoff_snapshots"):
        op.drop_table(table)


def _create_signoff_snapshots() -> None:
    op.create_table(
        "signoff_snapshots",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("taken_at", AWARE, nullable=False),
        sa.Column("data", EXACT_JSON, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("reports", JSON_VALUE, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoff_snapshots")),
    )


def _create_signoff_reports() -> None:
    op.create_table(
        "signoff_reports",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("snapshot_id", BIG_ID, nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.CheckConstraint(REPORT_LANGUAGES, name=op.f("ck_signoff_reports_language")),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["signoff_snapshots.id"], name=op.f("fk_signoff_reports_snapshot_id_signoff_snapshots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoff_reports")),
        sa.UniqueConstraint("snapshot_id", "language", name=op.f("uq_signoff_reports_snapshot_id_language")),
    )


def _create_signoff_campaigns() -> None:
    op.create_table(
        "signoff_campaigns",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signing_order", sa.String(length=16), nullable=False),
        sa.Column("due_at", AWARE, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("previous_id", BIG_ID, nullable=True),
        sa.Column("snapshot_id", BIG_ID, nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("started_at", AWARE, nullable=True),
        sa.Column("closed_at", AWARE, nullable=True),
        sa.Column("certificate_html", sa.Text(), nullable=True),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(SIGNING_ORDERS, name=op.f("ck_signoff_campaigns_signing_order")),
        sa.CheckConstraint(CAMPAIGN_STATUSES, name=op.f("ck_signoff_campaigns_status")),
        sa.ForeignKeyConstraint(
            ["previous_id"], ["signoff_campaigns.id"], name=op.f("fk_signoff_campaigns_previous_id_signoff_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["signoff_snapshots.id"], name=op.f("fk_signoff_campaigns_snapshot_id_signoff_snapshots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoff_campaigns")),
        sa.UniqueConstraint("previous_id", name=op.f("uq_signoff_campaigns_previous_id")),
    )
    op.create_index(op.f("ix_signoff_campaigns_status"), "signoff_campaigns", ["status"])


def _create_signoff_signers() -> None:
    op.create_table(
        "signoff_signers",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("campaign_id", BIG_ID, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("card_id", sa.String(length=64), nullable=True),
        sa.Column("decided_at", AWARE, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("awaiting_reason", sa.Boolean(), nullable=False),
        sa.Column("sent_at", AWARE, nullable=True),
        sa.Column("reminded_at", AWARE, nullable=True),
        sa.Column("union_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(SIGNER_STATUSES, name=op.f("ck_signoff_signers_status")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["signoff_campaigns.id"], name=op.f("fk_signoff_signers_campaign_id_signoff_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signoff_signers")),
        sa.UniqueConstraint("campaign_id", "user_id", name=op.f("uq_signoff_signers_campaign_id_user_id")),
        sa.UniqueConstraint("campaign_id", "position", name=op.f("uq_signoff_signers_campaign_id_position")),
        sa.UniqueConstraint("card_id", name=op.f("uq_signoff_signers_card_id")),
    )
    op.create_index(op.f("ix_signoff_signers_campaign_id"), "signoff_signers", ["campaign_id"])
