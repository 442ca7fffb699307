"""The dossier (实绩档案) as a fold of its events: the state ``evolve`` rebuilds, what a decision knows of
the world beyond it (``Context``), and the rules every family of records shares (the cadre exists, only
the cadre themselves, only a superior, nothing dated after today)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from services.dossier.catalogue import Catalogue
from services.dossier.domain.assessment_inputs import INPUT_EVENTS, AssessmentInputs
from services.dossier.domain.assessment_inputs import evolve as evolve_inputs
from services.dossier.domain.profile import PROFILE_EVENTS, Profile
from services.dossier.domain.profile import evolve as evolve_profile
from services.dossier.errors import CadreNotFound, DomainError, NotAllowed
from shared.events import (
    AchievementClaimed,
    AchievementRejected,
    AchievementVerified,
    AnnualGrade,
    AnnualGradeRecorded,
    AppealDecided,
    AppealFiled,
    AppealOutcome,
    AppraisalLevel,
    AppraisalLevelRecorded,
    AssessmentScoresRecorded,
    BasicsRecorded,
    Basis,
    CadreRegistered,
    DeclarationKind,
    DeclarationRecorded,
    DemocraticEvaluationRecorded,
    DomainEvent,
    EntryAmended,
    EntryKind,
    EntryRecorded,
    EntryRevoked,
    ImpactPeriod,
    IntegrityVetoRecorded,
    Leadership,
    PostAssigned,
    PostEnded,
    QuarterlyReportEndorsed,
    QuarterlyReportReturned,
    QuarterlyReportSaved,
    QuarterlyReportSubmitted,
    SelfEvaluationWritten,
    UnitLevel,
)


@dataclass(frozen=True, slots=True)
class Context:
    """What a decision needs to know beyond the dossier itself."""

    actor: str  # the authenticated subject; a cadre's subject is their cadre id
    today: dt.date
    catalogue: Catalogue = field(default_factory=Catalogue)
    superiors: frozenset[str] = frozenset()  # the cadre's superiors today (cadre ids)
    unit_levels: dict[str, UnitLevel | None] = field(default_factory=dict)  # units the command names
    schemes: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # assessment schemes' versions, by id


def require_unit(ctx: Context, unit_id: str, field_name: str = "unit_id") -> UnitLevel:
    level = ctx.unit_levels.get(unit_id)
    if level is None:
        raise DomainError(f"no unit {unit_id} is registered", field=field_name, rule="unit_exists")
    return level


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: str
    kind: EntryKind
    category: str
    title: str
    points: Decimal
    effective_date: dt.date
    basis: Basis
    impact_period: ImpactPeriod | None = None
    revoked: bool = False
    open_appeal: str | None = None


@dataclass(frozen=True, slots=True)
class Post:
    post_id: str
    unit_id: str
    position: str
    rank: str
    leadership: Leadership
    start_date: dt.date
    end_date: dt.date | None = None

    def open_on(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


@dataclass(frozen=True, slots=True)
class Achievement:
    achievement_id: str
    title: str
    description: str
    effective_date: dt.date
    status: str = "claimed"  # claimed | verified | rejected
    category: str | None = None
    points: Decimal | None = None
    decision: str | None = None  # the verifier's comment or the rejection's reason


@dataclass(frozen=True, slots=True)
class QuarterlyReport:
    period: str
    status: str  # draft | submitted | endorsed | returned
    content: dict[str, str]
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class YearAssessment:
    year: int
    annual_grade: AnnualGrade | None = None
    appraisal_level: AppraisalLevel | None = None
    mass_satisfaction: Decimal | None = None
    political_quality: Decimal | None = None
    democratic: dict[str, dict[str, int]] = field(default_factory=dict)
    vetoes: tuple[Basis, ...] = ()


@dataclass(frozen=True, slots=True)
class Appeal:
    appeal_id: str
    entry_id: str
    grounds: str
    outcome: AppealOutcome | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Dossier:
    cadre_id: str
    name: str = ""
    unit_id: str = ""
    version: int = 0  # how many events the cadre's stream holds
    basics: dict[str, Any] = field(default_factory=dict)
    self_evaluation: str | None = None
    posts: dict[str, Post] = field(default_factory=dict)
    achievements: dict[str, Achievement] = field(default_factory=dict)
    reports: dict[str, QuarterlyReport] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    appeals: dict[str, Appeal] = field(default_factory=dict)
    assessments: dict[int, YearAssessment] = field(default_factory=dict)
    declarations: dict[DeclarationKind, DeclarationRecorded] = field(default_factory=dict)
    assessment_inputs: AssessmentInputs = field(default_factory=AssessmentInputs)  # to the annual assessment (16)
    profile: Profile = field(default_factory=Profile)  # education, expertise, other sources' results (20)

    @property
    def exists(self) -> bool:
        return self.version > 0

    def year(self, year: int) -> YearAssessment:
        return self.assessments.get(year, YearAssessment(year))


def _put(mapping: dict, key: Any, value: Any) -> dict:
    return {**mapping, key: value}


def evolve(state: Dossier, event: DomainEvent) -> Dossier:
    """The dossier after ``event``; event types of other aggregates only advance the version."""
    s = replace(state, version=state.version + 1)
    if isinstance(event, INPUT_EVENTS):
        return replace(s, assessment_inputs=evolve_inputs(s.assessment_inputs, event))
    if isinstance(event, PROFILE_EVENTS):
        return replace(s, profile=evolve_profile(s.profile, event))
    match event:
        case CadreRegistered():  # the personnel file's birth date stands until the cadre fills in the basics
            basics = {"birth_date": event.birth_date.isoformat()} if event.birth_date else s.basics
            return replace(s, name=event.name, unit_id=event.unit_id, basics=basics)
        case BasicsRecorded():
            return replace(s, basics=event.model_dump(mode="json", exclude_none=True))
        case SelfEvaluationWritten():
            return replace(s, self_evaluation=event.text)
        case PostAssigned():
            post = Post(event.post_id, event.unit_id, event.position, event.rank, event.leadership, event.start_date)
            return replace(s, posts=_put(s.posts, post.post_id, post))
        case PostEnded():
            return replace(s, posts=_put(s.posts, event.post_id, replace(s.posts[event.post_id], end_date=event.end_date)))
        case AchievementClaimed():
            a = Achievement(event.achievement_id, event.title, event.description, event.effective_date)
            return replace(s, achievements=_put(s.achievements, a.achievement_id, a))
        case AchievementVerified():
            a = replace(s.achievements[event.achievement_id], status="verified", category=event.category,
                        points=event.points, decision=event.comment)
            return replace(s, achievements=_put(s.achievements, a.achievement_id, a))
        case AchievementRejected():
            a = replace(s.achievements[event.achievement_id], status="rejected", decision=event.reason)
            return replace(s, achievements=_put(s.achievements, a.achievement_id, a))
        case QuarterlyReportSaved():
            content = event.model_dump(exclude={"period"})
            return replace(s, reports=_put(s.reports, event.period, QuarterlyReport(event.period, "draft", content)))
        case QuarterlyReportSubmitted() | QuarterlyReportEndorsed() | QuarterlyReportReturned():
            status = {QuarterlyReportSubmitted: "submitted", QuarterlyReportEndorsed: "endorsed",
                      QuarterlyReportReturned: "returned"}[type(event)]
            report = replace(s.reports[event.period], status=status, comment=getattr(event, "comment", None))
            return replace(s, reports=_put(s.reports, event.period, report))
        case EntryRecorded():
            entry = Entry(event.entry_id, event.kind, event.category, event.title, event.points, event.effective_date,
                          event.basis, event.impact_period)
            return replace(s, entries=_put(s.entries, entry.entry_id, entry))
        case EntryAmended():
            entry = replace(s.entries[event.entry_id], category=event.category, points=event.points,
                            effective_date=event.effective_date, impact_period=event.impact_period)
            return replace(s, entries=_put(s.entries, entry.entry_id, entry))
        case EntryRevoked():
            entry = replace(s.entries[event.entry_id], revoked=True, open_appeal=None)
            return replace(s, entries=_put(s.entries, entry.entry_id, entry))
        case AppealFiled():
            entry = replace(s.entries[event.entry_id], open_appeal=event.appeal_id)
            return replace(s, entries=_put(s.entries, entry.entry_id, entry),
                           appeals=_put(s.appeals, event.appeal_id, Appeal(event.appeal_id, event.entry_id, event.grounds)))
        case AppealDecided():
            appeal = replace(s.appeals[event.appeal_id], outcome=event.outcome, reason=event.reason)
            entry = replace(s.entries[event.entry_id], open_appeal=None)
            return replace(s, appeals=_put(s.appeals, appeal.appeal_id, appeal), entries=_put(s.entries, entry.entry_id, entry))
        case AnnualGradeRecorded():
            return _year(s, event.year, annual_grade=event.grade)
        case AppraisalLevelRecorded():
            return _year(s, event.year, appraisal_level=event.level)
        case AssessmentScoresRecorded():
            y = s.year(event.year)
            return _year(s, event.year, mass_satisfaction=_given(event.mass_satisfaction, y.mass_satisfaction),
                         political_quality=_given(event.political_quality, y.political_quality))
        case DemocraticEvaluationRecorded():
            counts = {g.value: n for g, n in event.counts.items()}
            return _year(s, event.year, democratic=_put(s.year(event.year).democratic, event.rater_group.value, counts))
        case IntegrityVetoRecorded():
            return _year(s, event.year, vetoes=(*s.year(event.year).vetoes, event.basis))
        case DeclarationRecorded():
            return replace(s, declarations=_put(s.declarations, event.declaration, event))
    return s


def _given(new: Any, old: Any) -> Any:
    return old if new is None else new


def _year(state: Dossier, year: int, **changes: Any) -> Dossier:
    return replace(state, assessments=_put(state.assessments, year, replace(state.year(year), **changes)))


def fold(cadre_id: str, events: Any) -> Dossier:
    state = Dossier(cadre_id)
    for event in events:
        state = evolve(state, event)
    return state


# ---------------------------------------------------------------------------------------------- rules every family shares


def require_cadre(state: Dossier) -> None:
    if not state.exists:
        raise CadreNotFound(f"no cadre {state.cadre_id}", rule="cadre_exists")


def require_self(state: Dossier, ctx: Context, what: str) -> None:
    if ctx.actor != state.cadre_id:
        raise NotAllowed(f"only the cadre themselves may {what}", rule="self_filled")


def require_superior(state: Dossier, ctx: Context, what: str) -> None:
    if ctx.actor == state.cadre_id:
        raise NotAllowed(f"nobody may {what} their own record", rule="not_own_record")
    if ctx.actor not in ctx.superiors:
        raise NotAllowed(f"only the cadre's superior may {what}", rule="superior_only")


def not_after_today(day: dt.date, ctx: Context, field_name: str) -> None:
    if day > ctx.today:
        raise DomainError(f"{field_name} {day} is after today ({ctx.today}): record it once it has happened",
                          field=field_name, rule="not_in_future")
