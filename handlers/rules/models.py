"""The rules pack as typed, read-only pydantic models; `pack.py` loads them from YAML."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cards.render import Language

Text = Annotated[str, StringConstraints(min_length=1)]
# What an admin writes as a key must be safe to store and to show in an error message.
ObligationId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$", max_length=64)]
TermId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
# Calendar-only ISO 8601 durations: P1Y, P6M, P3Y, P2W, P30D.
IsoDuration = Annotated[str, StringConstraints(pattern=r"^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$", min_length=2)]

Basis = Literal["legal", "good_practice"]
Evidence = Literal["V", "S", "U"]
Scope = Literal["flow", "org"]
AssessmentType = Literal[
    "transfer_route",
    "transfer_notification",
    "transfer_authorisation",
    "standard_contract",
    "notification",
    "prior_authorisation",
    "processor_contract",
    "privacy_notice",
    "security_review",
    "impact_assessment",
    "publication_check",
    "access_review",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalText(_Strict):
    """One text in every language the bot speaks."""

    zh_Hant: Text = Field(alias="zh-Hant")
    en: Text
    pt: Text

    def get(self, language: Language) -> str:
        """The text in `language`."""
        if language == "zh-Hant":
            return self.zh_Hant
        return self.en if language == "en" else self.pt


class BeforeTransfer(_Strict):
    kind: Literal["before_transfer"]


class BeforeProcessing(_Strict):
    kind: Literal["before_processing"]


class BeforeSharing(_Strict):
    kind: Literal["before_sharing"]


class AtCollection(_Strict):
    kind: Literal["at_collection"]


class AfterStart(_Strict):
    """Due a number of days after the processing starts."""

    kind: Literal["after_start"]
    days: int = Field(gt=0)
    counting: Literal["calendar", "working"]


class Recurring(_Strict):
    kind: Literal["recurring"]
    every: IsoDuration


class FilingAfterContract(_Strict):
    """A filing due a number of working days after a contract takes effect."""

    kind: Literal["filing_after_contract"]
    working_days: int = Field(gt=0)


Deadline = Annotated[
    BeforeTransfer | BeforeProcessing | BeforeSharing | AtCollection | AfterStart | Recurring | FilingAfterContract,
    Field(discriminator="kind"),
]


class Obligation(_Strict):
    """Something the organisation must (legal) or should (good_practice) do, with its source."""

    title: LocalText
    action: LocalText
    advice: LocalText
    cite: Text
    # The citation as each language writes it; `cite` stays the canonical form that records keep.
    cite_text: LocalText | None = None
    basis: Basis
    evidence: Evidence | None = None
    confirmed: bool
    deadline: Deadline
    lead_days: int | None = Field(default=None, ge=0)
    assessment_type: AssessmentType
    # A route to decide: the obligations that can satisfy it, the default first.
    options: tuple[ObligationId, ...] = ()
    note: str = ""

    def citation(self, language: Language) -> str:
        """The citation to show in `language`."""
        return self.cite_text.get(language) if self.cite_text is not None else self.cite

    @property
    def needs_counsel(self) -> bool:
        """A legal item nobody has confirmed yet: shown as 'to be confirmed with counsel'."""
        return self.basis == "legal" and not self.confirmed


class Condition(_Strict):
    """Which answers a rule applies to; a missing axis matches every value."""

    level: tuple[TermId, ...] | None = None
    personal_data: tuple[TermId, ...] | None = None
    destination: tuple[TermId, ...] | None = None

    def matches(self, level: str, personal_data: str, destination: str) -> bool:
        """Whether an answer with these values falls under the condition."""
        pairs = ((self.level, level), (self.personal_data, personal_data), (self.destination, destination))
        return all(allowed is None or value in allowed for allowed, value in pairs)


class Rule(_Strict):
    """When the answer matches `when`, the obligations apply once per file (flow) or once per org."""

    id: RuleId
    scope: Scope
    when: Condition
    obligations: tuple[ObligationId, ...] = Field(min_length=1)
    note: str = ""


class Term(_Strict):
    """One answer value: its labels and what people may type for it."""

    label: LocalText
    hint: LocalText | None = None
    aliases: tuple[Text, ...] = ()


class DestinationTerm(Term):
    leaves_macau: bool


class Vocabulary(_Strict):
    """The answer values, in the order cards show them."""

    levels: dict[TermId, Term] = Field(min_length=1)
    personal_data: dict[TermId, Term] = Field(min_length=1)
    destinations: dict[TermId, DestinationTerm] = Field(min_length=1)


class Statute(_Strict):
    cite: Text
    title: LocalText
    note: str = ""


class Regulator(_Strict):
    abbreviation: Text
    name: LocalText
    since: date
    established_by: Text
    legacy_aliases: tuple[Text, ...] = ()


class Platform(_Strict):
    """Where the chat platform itself keeps what is shared through it."""

    name: Text
    stores_in: TermId
    note: str = ""


class Messages(_Strict):
    """The words around obligations in the composed advice."""

    also: LocalText
    org_after_also: LocalText
    org_alone: LocalText
    counsel: LocalText
    no_legal_obligation: LocalText


class RulesPack(_Strict):
    """A versioned set of obligations and the rules that map classification answers to them."""

    pack: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
    version: Text
    statute: Statute
    regulator: Regulator
    platform: Platform
    vocabulary: Vocabulary
    messages: Messages
    obligations: dict[ObligationId, Obligation] = Field(min_length=1)
    rules: tuple[Rule, ...] = Field(min_length=1)
