"""The bot's tables. The schema itself comes from the Alembic migrations, which must match these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime, exact_json, portable_json

FrameStatus = Literal["handled", "rejected", "failed"]
OutboxStatus = Literal["pending", "sending", "sent", "failed"]

FRAME_STATUSES: Final = ("handled", "rejected", "failed")
OUTBOX_STATUSES: Final = ("pending", "sending", "sent", "failed")
SUPPORTED_LANGUAGES: Final = ("zh-Hant", "en", "pt")

# Fixed constraint names keep autogenerate diffs stable and let migrations drop constraints by name.
NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-assigns rowid-backed INTEGER primary keys, never BIGINT ones.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base whose metadata names every constraint and index by convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProcessedFrame(Base):
    """One inbound stream frame we have answered, so a redelivery replays the same ack."""

    __tablename__ = "processed_frames"
    __table_args__ = (CheckConstraint(_one_of("status", FRAME_STATUSES), name="status"),)

    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    topic: Mapped[str] = mapped_column(Text)
    frame_type: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[FrameStatus] = mapped_column(String(16))
    ack_code: Mapped[int] = mapped_column(Integer)
    ack_message: Mapped[str] = mapped_column(Text)
    ack_data: Mapped[dict[str, Any] | None] = mapped_column(portable_json(nullable=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)


class DirectoryUser(Base):
    """Cached copy of a DingTalk user, refreshed by the directory sync job."""

    __tablename__ = "directory_users"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    union_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    manager_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    dept_ids: Mapped[list[int]] = mapped_column(portable_json())
    leader_in_depts: Mapped[list[int]] = mapped_column(portable_json())
    is_org_admin: Mapped[bool]
    is_boss: Mapped[bool]
    active: Mapped[bool]
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DirectoryDepartment(Base):
    """Cached copy of a DingTalk department."""

    __tablename__ = "directory_departments"

    dept_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    manager_user_ids: Mapped[list[str]] = mapped_column(portable_json())
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UserPreference(Base):
    """A user's own settings; today only the reply language."""

    __tablename__ = "user_preferences"
    __table_args__ = (CheckConstraint(_one_of("language", SUPPORTED_LANGUAGES), name="language"),)

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """An outbound call committed with the change that caused it, sent later by the outbox job."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_one_of("status", OUTBOX_STATUSES), name="status"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(portable_json())
    dedup_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(portable_json(nullable=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """One entry of the append-only audit log; each entry's hash covers the previous entry's hash."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(exact_json())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
