"""Rules packs edited by admins: every saved version, kept as submitted; the newest is the active one.

Revision ID: 0006
Revises: 0005
Created: 2026-12-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out here rather than imported from storage.models, so later model changes cannot rewrite
# what this revision did.
AWARE = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rules_pack_versions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pack_name", sa.String(length=64), nullable=False),
        sa.Column("pack_version", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules_pack_versions")),
    )
    op.create_index(op.f("ix_rules_pack_versions_pack_version"), "rules_pack_versions", ["pack_version"])


def downgrade() -> None:
    op.drop_table("rules_pack_versions")
