"""The dossier's event contract: what is stored in the event store and published on Kafka.

Every event is a frozen pydantic model with a stable snake_case ``event_type`` and a
``schema_version``. The stored and published type is that name, never a Python path, so
moving a class never breaks stored data. Old versions are never rewritten: an upcaster (a pure
dict -> dict function registered per (type, version)) lifts stored JSON to the current model on
read. The JSON Schemas in ``shared/schemas/`` are generated from these models and checked by
``tests/unit/test_event_contract.py``; change an event only by adding a version.

Which stored name is which model, and the upcasters, live in ``shared.event_registry``; its names
(``EVENT_TYPES``, ``UPCASTERS``, ``upcast``, ``to_data``, ``from_data``, ``UnknownEventType``) stay
importable from here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

# Points carry at most two decimals (source sheets use halves and tenths) and are
# serialised as JSON numbers, not strings, so other systems read them as numbers.
Points = Annotated[
    Decimal,
    Field(ge=Decimal("-1000"), le=Decimal("1000"), decimal_places=2, max_digits=6),
    PlainSerializer(lambda v: float(v), return_type=float, when_used="json"),
]

Score = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2),
                  PlainSerializer(lambda v: float(v), return_type=float, when_used="json")]

# A quarter as "2026-Q3".
QUARTER_PATTERN = r"^(19[5-9][0-9]|2[01][0-9][0-9])-Q[1-4]$"

# No dossier record predates the People's Republic; anything earlier is a typing error.
EARLIEST_EFFECTIVE_DATE = dt.date(1949, 10, 1)


class EntryKind(StrEnum):
    """achievement = verified key achievement (实绩); positive = 正面清单; negative = 负面清单."""

    ACHIEVEMENT = "achievement"
    POSITIVE = "positive"
    NEGATIVE = "negative"


def points_sign_problem(kind: EntryKind, points: Decimal) -> str | None:
    """The sign rule of an entry's points, or None when they are allowed for the kind."""
    if kind is EntryKind.POSITIVE and points <= 0:
        return "a positive-list entry must carry points > 0"
    if kind is EntryKind.NEGATIVE and points >= 0:
        return "a negative-list entry must carry points < 0"
    if kind is EntryKind.ACHIEVEMENT and points < 0:
        return "an achievement must carry points >= 0"
    return None


class Basis(BaseModel):
    """加减分依据: why points were added or subtracted, and the document it rests on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
    document: str = Field(min_length=1, max_length=500, description="document reference, e.g. 秦组字〔2023〕12号")


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int]

    def effective_on(self) -> dt.date | None:
        """The date on which the event counts (its effective date), where it has one."""
        return None


class CadreRegistered(DomainEvent):
    """A cadre (干部) was registered; opens the cadre's stream. v2: the birth date (出生年月) of the personnel file
    (干部任免审批表) the department registers from, where it gives one (issue 20: a city loaded by import has ages);
    the cadre's own basics, once filled in, hold instead."""

    event_type: ClassVar[str] = "cadre_registered"
    schema_version: ClassVar[int] = 2

    cadre_id: str
    name: str = Field(min_length=1, max_length=100)
    unit_id: str = Field(min_length=1, max_length=100)
    birth_date: dt.date | None = None


class ImpactPeriod(BaseModel):
    """影响期: the span during which a sanction bars promotion; both days included."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> ImpactPeriod:
        if self.end < self.start:
            raise ValueError("impact period must not end before it starts")
        return self


class EntryRecorded(DomainEvent):
    """An achievement, positive-list (正面清单) or negative-list (负面清单) entry was recorded.

    v2 added ``impact_period`` (sanctions); v1 events are upcast with none.
    """

    event_type: ClassVar[str] = "entry_recorded"
    schema_version: ClassVar[int] = 2

    entry_id: str
    kind: EntryKind
    category: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    points: Points
    effective_date: dt.date
    basis: Basis
    impact_period: ImpactPeriod | None = None

    def effective_on(self) -> dt.date:
        return self.effective_date

    @model_validator(mode="after")
    def _points_match_kind(self) -> EntryRecorded:
        # The dossier never emits such an event (the command is checked first); one arriving on the
        # topic from elsewhere is not an entry and must not count (it becomes a dead letter).
        if problem := points_sign_problem(self.kind, self.points):
            raise ValueError(problem)
        return self


class EntryAmended(DomainEvent):
    """A correction of an entry: carries the entry's complete values after the amendment, and why."""

    event_type: ClassVar[str] = "entry_amended"
    schema_version: ClassVar[int] = 1

    entry_id: str
    category: str = Field(min_length=1, max_length=100)
    points: Points
    effective_date: dt.date
    impact_period: ImpactPeriod | None = None
    reason: str = Field(min_length=1, max_length=2000)

    def effective_on(self) -> dt.date:
        return self.effective_date


class EntryRevoked(DomainEvent):
    """An earlier entry was revoked; the original stays in the stream, it just stops counting."""

    event_type: ClassVar[str] = "entry_revoked"
    schema_version: ClassVar[int] = 1

    entry_id: str
    reason: str = Field(min_length=1, max_length=2000)


class AppealOutcome(StrEnum):
    UPHELD = "upheld"  # the entry stands
    REVOKED = "revoked"  # the entry is revoked (an EntryRevoked follows)


class AppealFiled(DomainEvent):
    """The cadre appealed (申诉) against an entry."""

    event_type: ClassVar[str] = "appeal_filed"
    schema_version: ClassVar[int] = 1

    appeal_id: str
    entry_id: str
    grounds: str = Field(min_length=1, max_length=4000)


class AppealDecided(DomainEvent):
    event_type: ClassVar[str] = "appeal_decided"
    schema_version: ClassVar[int] = 1

    appeal_id: str
    entry_id: str
    outcome: AppealOutcome
    reason: str = Field(min_length=1, max_length=2000)


class BasicsRecorded(DomainEvent):
    """The cadre's personal basics (基本情况), as the cadre filled them in; the latest record holds."""

    event_type: ClassVar[str] = "basics_recorded"
    schema_version: ClassVar[int] = 1

    birth_date: dt.date | None = None
    gender: str | None = Field(None, max_length=20)
    education: str | None = Field(None, max_length=100)
    political_status: str | None = Field(None, max_length=100)


class Leadership(StrEnum):
    CHIEF = "chief"  # 正职
    DEPUTY = "deputy"  # 副职
    MEMBER = "member"


class PostAssigned(DomainEvent):
    """The cadre took up a post (任职) in a unit."""

    event_type: ClassVar[str] = "post_assigned"
    schema_version: ClassVar[int] = 1

    post_id: str
    unit_id: str = Field(min_length=1, max_length=100)
    position: str = Field(min_length=1, max_length=200)
    rank: str = Field(min_length=1, max_length=100)
    leadership: Leadership
    start_date: dt.date

    def effective_on(self) -> dt.date:
        return self.start_date


class PostEnded(DomainEvent):
    """The cadre left a post (免职, or a transfer's first half)."""

    event_type: ClassVar[str] = "post_ended"
    schema_version: ClassVar[int] = 1

    post_id: str
    end_date: dt.date
    reason: str = Field(min_length=1, max_length=2000)

    def effective_on(self) -> dt.date:
        return self.end_date


class SelfEvaluationWritten(DomainEvent):
    """自我评价 in the basic record; the latest one holds."""

    event_type: ClassVar[str] = "self_evaluation_written"
    schema_version: ClassVar[int] = 1

    text: str = Field(min_length=1, max_length=10_000)


class AchievementClaimed(DomainEvent):
    """A key achievement (重要实绩) the cadre reported; it counts only once the superior verifies it."""

    event_type: ClassVar[str] = "achievement_claimed"
    schema_version: ClassVar[int] = 1

    achievement_id: str
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=10_000)
    effective_date: dt.date

    def effective_on(self) -> dt.date:
        return self.effective_date


class AchievementVerified(DomainEvent):
    """The superior verified a claimed achievement and set its points (carries the claim's date and title)."""

    event_type: ClassVar[str] = "achievement_verified"
    schema_version: ClassVar[int] = 1

    achievement_id: str
    title: str
    category: str = Field(min_length=1, max_length=100)
    points: Points
    effective_date: dt.date
    comment: str | None = Field(None, max_length=2000)

    def effective_on(self) -> dt.date:
        return self.effective_date


class AchievementRejected(DomainEvent):
    event_type: ClassVar[str] = "achievement_rejected"
    schema_version: ClassVar[int] = 1

    achievement_id: str
    reason: str = Field(min_length=1, max_length=2000)


class QuarterlyReportSaved(DomainEvent):
    """The cadre saved the draft of a quarterly report (季度纪实); a later save replaces the draft."""

    event_type: ClassVar[str] = "quarterly_report_saved"
    schema_version: ClassVar[int] = 1

    period: str = Field(pattern=QUARTER_PATTERN)
    key_work: str = Field(min_length=1, max_length=10_000, description="completion of the quarter's key work")
    indicator_progress: str = Field(min_length=1, max_length=10_000, description="progress on assigned indicator tasks")
    most_satisfied: str = Field(min_length=1, max_length=5_000)
    least_satisfied: str = Field(min_length=1, max_length=5_000)


class QuarterlyReportSubmitted(DomainEvent):
    event_type: ClassVar[str] = "quarterly_report_submitted"
    schema_version: ClassVar[int] = 1

    period: str = Field(pattern=QUARTER_PATTERN)


class QuarterlyReportEndorsed(DomainEvent):
    """The superior signed (签字背书) the report: it is filed and can no longer change."""

    event_type: ClassVar[str] = "quarterly_report_endorsed"
    schema_version: ClassVar[int] = 1

    period: str = Field(pattern=QUARTER_PATTERN)
    comment: str | None = Field(None, max_length=2000)


class QuarterlyReportReturned(DomainEvent):
    """The superior returned the report for revision."""

    event_type: ClassVar[str] = "quarterly_report_returned"
    schema_version: ClassVar[int] = 1

    period: str = Field(pattern=QUARTER_PATTERN)
    comment: str = Field(min_length=1, max_length=2000)


class AnnualGrade(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    COMPETENT = "competent"  # 称职
    BASICALLY_COMPETENT = "basically_competent"  # 基本称职
    INCOMPETENT = "incompetent"  # 不称职
    UNGRADED = "ungraded"  # 不定等次


class TeamGrade(StrEnum):
    EXCELLENT = "excellent"  # 优秀
    GOOD = "good"  # 良好
    AVERAGE = "average"  # 一般
    POOR = "poor"  # 较差


class AppraisalLevel(StrEnum):
    GOOD = "good"  # 好
    FAIRLY_GOOD = "fairly_good"  # 较好
    AVERAGE = "average"  # 一般
    POOR = "poor"  # 差


class RaterGroup(StrEnum):
    SUPERIORS = "superiors"  # 上评下
    PEERS = "peers"  # 互评
    SUBORDINATES = "subordinates"  # 下评上
    PUBLIC = "public"  # 群众


Year = Annotated[int, Field(ge=1949, le=2199)]


class AnnualGradeRecorded(DomainEvent):
    """年度考核 result; recording a year again corrects it (a reason is then required)."""

    event_type: ClassVar[str] = "annual_grade_recorded"
    schema_version: ClassVar[int] = 1

    year: Year
    grade: AnnualGrade
    reason: str | None = Field(None, max_length=2000)


class AppraisalLevelRecorded(DomainEvent):
    """实绩鉴定结果 for a year."""

    event_type: ClassVar[str] = "appraisal_level_recorded"
    schema_version: ClassVar[int] = 1

    year: Year
    level: AppraisalLevel
    reason: str | None = Field(None, max_length=2000)


class DemocraticEvaluationRecorded(DomainEvent):
    """民主测评 tallies of one rater group for a year: how many raters gave each grade."""

    event_type: ClassVar[str] = "democratic_evaluation_recorded"
    schema_version: ClassVar[int] = 1

    year: Year
    rater_group: RaterGroup
    counts: dict[AnnualGrade, Annotated[int, Field(ge=0, le=1_000_000)]]


class AssessmentScoresRecorded(DomainEvent):
    """Mass-satisfaction (群众满意度) and political-quality (政治素质) scores, 0-100, for a year."""

    event_type: ClassVar[str] = "assessment_scores_recorded"
    schema_version: ClassVar[int] = 1

    year: Year
    mass_satisfaction: Score | None = None
    political_quality: Score | None = None
    reason: str | None = Field(None, max_length=2000)


class IntegrityVetoRecorded(DomainEvent):
    """A violation of morality (德) or integrity (廉) rules: a one-vote veto (一票否决) for the year."""

    event_type: ClassVar[str] = "integrity_veto_recorded"
    schema_version: ClassVar[int] = 1

    year: Year
    basis: Basis


class DeclarationKind(StrEnum):
    RELATIVES = "relatives"  # relatives whose posts create an avoidance conflict (回避)
    NAKED_OFFICIAL = "naked_official"  # 裸官: spouse and children settled abroad


class DeclarationRecorded(DomainEvent):
    """A sensitive declaration. Only the screening flag is in clear; the details are sealed
    (AES-256-GCM under the dossier's declaration key) and opened only for roles that need them."""

    event_type: ClassVar[str] = "declaration_recorded"
    schema_version: ClassVar[int] = 1

    declaration: DeclarationKind
    flagged: bool = Field(description="relatives: an avoidance conflict exists; naked_official: the status applies")
    sealed_details: str = Field(description="base64 nonce+ciphertext of the details")
    key_id: str


class UnitLevel(StrEnum):
    CITY = "city"
    COUNTY = "county"  # county or district
    UNIT = "unit"


class UnitRegistered(DomainEvent):
    """A unit (单位) in the hierarchy city -> county/district -> unit, with its class for rankings."""

    event_type: ClassVar[str] = "unit_registered"
    schema_version: ClassVar[int] = 1

    unit_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    parent_id: str | None = Field(None, max_length=100)
    level: UnitLevel
    unit_class: str = Field(min_length=1, max_length=100, description="e.g. economic_development, law_enforcement")


class TeamGradeRecorded(DomainEvent):
    """A leadership team's (领导班子) annual grade."""

    event_type: ClassVar[str] = "team_grade_recorded"
    schema_version: ClassVar[int] = 1

    year: Year
    grade: TeamGrade
    reason: str | None = Field(None, max_length=2000)


class TargetPrize(StrEnum):
    """年度目标考评 result of a unit: a third prize (三等奖) bars its heads from promotion for a year."""

    FIRST = "first"
    SECOND = "second"
    THIRD = "third"
    NONE = "none"


class TargetEvaluationRecorded(DomainEvent):
    """A unit's annual target evaluation (年度目标考评) result."""

    event_type: ClassVar[str] = "target_evaluation_recorded"
    schema_version: ClassVar[int] = 1

    year: Year
    prize: TargetPrize
    reason: str | None = Field(None, max_length=2000)


class CategoryDefined(DomainEvent):
    """A category of the positive/negative-list catalogue: which kind it is and its allowed points.
    Defining a code again replaces its definition for entries recorded from then on."""

    event_type: ClassVar[str] = "category_defined"
    schema_version: ClassVar[int] = 1

    code: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: EntryKind
    min_points: Points
    max_points: Points
    description: str = Field("", max_length=2000)
    sanction: bool = Field(False, description="entries of this category carry an impact period (影响期)")

    @model_validator(mode="after")
    def _range(self) -> CategoryDefined:
        if problem := category_range_problem(self.kind, self.min_points, self.max_points):
            raise ValueError(problem)
        return self


def category_range_problem(kind: EntryKind, min_points: Any, max_points: Any) -> str | None:
    """Why a category's point range is not valid for its kind, or None (the command checks it too)."""
    if min_points > max_points:
        return "min_points must not exceed max_points"
    for bound in (min_points, max_points):
        if points_sign_problem(kind, bound):
            return f"points range {min_points}..{max_points} breaks the sign of {kind}"
    return None




# The annual comprehensive assessment's events (issue 16) live in their own module and are part of this contract.
from shared.assessment_consequence_events import *  # noqa: E402, F403
from shared.assessment_events import *  # noqa: E402, F403
from shared.assessment_notice_events import *  # noqa: E402, F403  (its notices, step 6)

# The facts a portrait needs (issue 20), likewise.
from shared.profile_events import *  # noqa: E402, F403

_REGISTRY = frozenset({"EVENT_TYPES", "UPCASTERS", "Upcaster", "UnknownEventType", "upcast", "to_data", "from_data"})


def __getattr__(name: str) -> Any:
    # The registry imports the models above, so it is loaded on first use rather than imported here.
    if name in _REGISTRY:
        from shared import event_registry

        return getattr(event_registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
