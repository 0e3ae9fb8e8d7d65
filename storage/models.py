"""The bot's tables. The schema itself comes from the Alembic migrations, which must match these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
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
    subject: Mapped[str] = mapped_column(Text, index=True)  # one assessment's or campaign's history
    details: Mapped[dict[str, Any]] = mapped_column(exact_json())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


PROMPT_STATUSES: Final = ("open", "answered", "expired")
SHARE_CHANNELS: Final = ("direct", "group_quote", "drive")
PromptStatus = Literal["open", "answered", "expired"]


class SharedFile(Base):
    """A file someone shared where the bot could see it: DingTalk's ids, name, size and hash, never content."""

    __tablename__ = "shared_files"
    __table_args__ = (CheckConstraint(_one_of("channel", SHARE_CHANNELS), name="channel"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    file_name: Mapped[str] = mapped_column(Text)
    dingtalk_file_id: Mapped[str | None] = mapped_column(String(128), index=True)
    space_id: Mapped[str | None] = mapped_column(String(128))
    # Needed to hash the file after the message was handled; DingTalk lets it expire.
    download_code: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    shared_by: Mapped[str] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str] = mapped_column(String(128))
    conversation_title: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ClassificationPrompt(Base):
    """The question card about one shared file, and the dialog state behind it."""

    __tablename__ = "classification_prompts"
    __table_args__ = (
        CheckConstraint(_one_of("status", PROMPT_STATUSES), name="status"),
        # Keyset paging of the API's lists by person or status, newest first, without a sort.
        Index("ix_classification_prompts_asked_user_id", "asked_user", "id"),
        Index("ix_classification_prompts_status_id", "status", "id"),
        # A date window's first and last id, from the index alone (handlers/api/classifications.py).
        Index("ix_classification_prompts_asked_at_id", "asked_at", "id"),
        # The dashboard's counts of open, escalated and expired questions, from the index alone.
        Index("ix_classification_prompts_status_asked_user_escalated_at", "status", "asked_user", "escalated_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    card_id: Mapped[str] = mapped_column(String(64), unique=True)
    file_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("shared_files.id"), index=True)
    asked_user: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[PromptStatus] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    level: Mapped[str | None] = mapped_column(String(32))
    personal_data: Mapped[str | None] = mapped_column(String(32))
    destination: Mapped[str | None] = mapped_column(String(32))
    suggested_level: Mapped[str | None] = mapped_column(String(32))
    previous_level: Mapped[str | None] = mapped_column(String(32))
    awaiting_reason: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_to: Mapped[list[str]] = mapped_column(portable_json())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Classification(Base):
    """The answer: the register's evidence of who classified which file how, and when."""

    __tablename__ = "classifications"
    __table_args__ = (
        Index("ix_classifications_level_prompt_id", "level", "prompt_id"),
        # The dashboard's answers of the last 30 days by level, from the index alone.
        Index("ix_classifications_classified_at_level", "classified_at", "level"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    prompt_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("classification_prompts.id"), unique=True)
    file_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("shared_files.id"), index=True)
    level: Mapped[str] = mapped_column(String(32), index=True)
    personal_data: Mapped[str] = mapped_column(String(32))
    destination: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    classified_by: Mapped[str] = mapped_column(String(64), index=True)
    classified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rules_version: Mapped[str] = mapped_column(String(32))
    obligation_ids: Mapped[list[str]] = mapped_column(portable_json())


class PendingObligation(Base):
    """An obligation a classification triggered, waiting for the assessments feature to take it up."""

    __tablename__ = "pending_obligations"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    obligation_id: Mapped[str] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(String(8))
    classification_id: Mapped[int | None] = mapped_column(BIG_ID, ForeignKey("classifications.id"), index=True)
    # Org-wide obligations are recorded once; flow obligations once per classification.
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    suggested_owner: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(portable_json())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


ASSESSMENT_TYPES: Final = (
    "transfer_route",
    "notification",
    "prior_authorisation",
    "processor_contract",
    "impact_assessment",
    "simplified_notification_renewal",
    "self_assessment",
)
ASSESSMENT_STATUSES: Final = ("open", "in_progress", "done", "waived")
ASSESSMENT_SOURCES: Final = ("admin", "rules_pack", "recurring", "programme")
REMINDER_STATUSES: Final = ("planned", "sending", "sent", "skipped", "failed")
AssessmentStatus = Literal["open", "in_progress", "done", "waived"]
ReminderStatus = Literal["planned", "sending", "sent", "skipped", "failed"]


class Assessment(Base):
    """Compliance work a manager owns, due at an instant; overdue is computed from due_at, never stored."""

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint(_one_of("type", ASSESSMENT_TYPES), name="type"),
        CheckConstraint(_one_of("status", ASSESSMENT_STATUSES), name="status"),
        CheckConstraint(_one_of("source", ASSESSMENT_SOURCES), name="source"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(48))
    owner: Mapped[str] = mapped_column(String(64), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[AssessmentStatus] = mapped_column(String(16), index=True)
    data_flow: Mapped[dict[str, Any]] = mapped_column(portable_json())
    evidence: Mapped[str | None] = mapped_column(Text)
    waived_reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    obligation_id: Mapped[str | None] = mapped_column(String(64))
    # Unique: an obligation the rules pack raised becomes at most one assessment.
    pending_obligation_id: Mapped[int | None] = mapped_column(
        BIG_ID, ForeignKey("pending_obligations.id"), unique=True
    )
    programme_id: Mapped[str | None] = mapped_column(String(64), index=True)
    step: Mapped[int | None] = mapped_column(Integer)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)


class ReminderRuleRow(Base):
    """The reminder rule admins saved for one assessment type, kept as its validated JSON."""

    __tablename__ = "reminder_rules"

    assessment_type: Mapped[str] = mapped_column(String(48), primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(portable_json())
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reminder(Base):
    """One reminder to one person, planned under an idempotency key and leased by the dispatcher to send."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint(_one_of("status", REMINDER_STATUSES), name="status"),
        Index("ix_reminders_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    assessment_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("assessments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ReminderStatus] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the row becomes claimable: send_at at first, a retry time after a failed attempt.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery: Mapped[dict[str, Any] | None] = mapped_column(portable_json(nullable=True), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


SIGNING_ORDERS: Final = ("parallel", "sequential")
CAMPAIGN_STATUSES: Final = ("draft", "active", "completed", "rejected", "cancelled", "superseded")
SIGNER_STATUSES: Final = ("waiting", "pending", "approved", "rejected")
SigningOrder = Literal["parallel", "sequential"]
CampaignStatus = Literal["draft", "active", "completed", "rejected", "cancelled", "superseded"]
SignerStatus = Literal["waiting", "pending", "approved", "rejected"]


class SignoffSnapshot(Base):
    """The figures a campaign's signers sign, frozen when it starts; sha256 covers the canonical JSON of data.

    It names no campaign (the campaign points here), so the two tables never refer to each other in a cycle.
    """

    __tablename__ = "signoff_snapshots"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Hashed: kept as written so anyone can recompute sha256 from the stored value.
    data: Mapped[dict[str, Any]] = mapped_column(exact_json())
    sha256: Mapped[str] = mapped_column(String(64))
    # {"zh-Hant": {"sha256": ...}, ...}: which renderings exist; the HTML itself is in signoff_reports.
    reports: Mapped[dict[str, Any]] = mapped_column(portable_json())


class SignoffReport(Base):
    """A snapshot rendered as HTML in one language, with the SHA-256 of that HTML."""

    __tablename__ = "signoff_reports"
    __table_args__ = (
        CheckConstraint(_one_of("language", SUPPORTED_LANGUAGES), name="language"),
        UniqueConstraint("snapshot_id", "language"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    snapshot_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("signoff_snapshots.id"))
    language: Mapped[str] = mapped_column(String(16))
    html: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))


class SignoffCampaign(Base):
    """One round of the annual sign-off; restarting makes a new row whose previous_id names this one."""

    __tablename__ = "signoff_campaigns"
    __table_args__ = (
        CheckConstraint(_one_of("signing_order", SIGNING_ORDERS), name="signing_order"),
        CheckConstraint(_one_of("status", CAMPAIGN_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    # The design's `order`; ORDER is a reserved word in SQL.
    signing_order: Mapped[SigningOrder] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[CampaignStatus] = mapped_column(String(16), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    # Unique: two concurrent restarts of one round cannot both create a next round.
    previous_id: Mapped[int | None] = mapped_column(BIG_ID, ForeignKey("signoff_campaigns.id"), unique=True)
    snapshot_id: Mapped[int | None] = mapped_column(BIG_ID, ForeignKey("signoff_snapshots.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    certificate_html: Mapped[str | None] = mapped_column(Text)
    certificate_sha256: Mapped[str | None] = mapped_column(String(64))


class SignoffSigner(Base):
    """One signer of one campaign: where they stand in the order, their card and their decision."""

    __tablename__ = "signoff_signers"
    __table_args__ = (
        CheckConstraint(_one_of("status", SIGNER_STATUSES), name="status"),
        UniqueConstraint("campaign_id", "user_id"),
        UniqueConstraint("campaign_id", "position"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("signoff_campaigns.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[SignerStatus] = mapped_column(String(16))
    card_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    awaiting_reason: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    union_id: Mapped[str | None] = mapped_column(String(64))


class RulesPackVersion(Base):
    """One rules pack an admin saved, kept as submitted; the highest id is the active pack.

    Ids are assigned as the previous highest plus one, so two admins saving at once cannot both win.
    """

    __tablename__ = "rules_pack_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    pack_name: Mapped[str] = mapped_column(String(64))
    # The pack's own `version:`, which records keep as their rules_version: one version string never names
    # two different texts (handlers.rules.revision checks), though a text saved again keeps its string.
    pack_version: Mapped[str] = mapped_column(String(32), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text)
