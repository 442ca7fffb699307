"""The cadre's dossier (实绩档案) as a fold of its events, and the decisions taken on it.

Pure Python: no I/O, no framework. ``evolve`` rebuilds state from events; each decision takes
the state, a command and what it needs to know of the world (``Context``: who acts, today,
the category catalogue, the actor's standing as superior) and returns the new events, or raises
a ``DomainError`` naming the input and the rule it broke.

Who may do what *to this dossier* is a domain rule and lives here: a cadre fills in their own
basic record and quarterly reports and files their own appeals; only a superior verifies claims
and endorses or returns reports, and nobody endorses their own. Which *roles* may call which
endpoint, and over which jurisdiction, is the gateway's business.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from services.dossier.catalogue import Catalogue
from services.dossier.errors import AlreadyDone, CadreNotFound, DomainError, EntryNotFound, NotAllowed, NotFound
from shared import commands as c
from shared.calendar import Quarter
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
    match event:
        case CadreRegistered():
            return replace(s, name=event.name, unit_id=event.unit_id)
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


# ---------------------------------------------------------------------------------------------- rules


def _require_cadre(state: Dossier) -> None:
    if not state.exists:
        raise CadreNotFound(f"no cadre {state.cadre_id}", rule="cadre_exists")


def _require_self(state: Dossier, ctx: Context, what: str) -> None:
    if ctx.actor != state.cadre_id:
        raise NotAllowed(f"only the cadre themselves may {what}", rule="self_filled")


def _require_superior(state: Dossier, ctx: Context, what: str) -> None:
    if ctx.actor == state.cadre_id:
        raise NotAllowed(f"nobody may {what} their own record", rule="not_own_record")
    if ctx.actor not in ctx.superiors:
        raise NotAllowed(f"only the cadre's superior may {what}", rule="superior_only")


def _not_after_today(day: dt.date, ctx: Context, field_name: str) -> None:
    if day > ctx.today:
        raise DomainError(f"{field_name} {day} is after today ({ctx.today}): record it once it has happened",
                          field=field_name, rule="not_in_future")


def _check_against_catalogue(ctx: Context, kind: EntryKind, category: str, points: Decimal,
                             impact_period: ImpactPeriod | None) -> None:
    definition = ctx.catalogue.get(category)
    if definition is None:
        raise DomainError(f"category {category!r} is not in the catalogue", field="category", rule="category_defined")
    if definition.kind != kind:
        raise DomainError(f"category {category!r} is for {definition.kind} entries, not {kind}",
                          field="category", rule="category_matches_kind")
    if not definition.min_points <= points <= definition.max_points:
        raise DomainError(f"points {points} are outside {definition.min_points}..{definition.max_points} "
                          f"allowed for category {category!r}", field="points", rule="points_within_category_range")
    if definition.sanction and impact_period is None:
        raise DomainError(f"category {category!r} is a sanction: give its impact period (影响期)",
                          field="impact_period", rule="sanction_has_impact_period")
    if not definition.sanction and impact_period is not None:
        raise DomainError(f"category {category!r} is not a sanction: it has no impact period",
                          field="impact_period", rule="impact_period_only_for_sanctions")


def _active_entry(state: Dossier, entry_id: str) -> Entry:
    entry = state.entries.get(entry_id)
    if entry is None:
        raise EntryNotFound(f"cadre {state.cadre_id} has no entry {entry_id}", field="entry_id", rule="entry_exists")
    if entry.revoked:
        raise AlreadyDone(f"entry {entry_id} is revoked", field="entry_id", rule="entry_not_revoked")
    return entry


# ---------------------------------------------------------------------------------------------- decisions


def register_cadre(state: Dossier, cmd: c.RegisterCadre, ctx: Context) -> list[DomainEvent]:
    require_unit(ctx, cmd.unit_id)
    if state.exists:
        raise AlreadyDone(f"cadre {state.cadre_id} is already registered", rule="cadre_already_registered")
    return [CadreRegistered(cadre_id=state.cadre_id, name=cmd.name, unit_id=cmd.unit_id)]


def record_basics(state: Dossier, cmd: c.RecordBasics, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    _require_self(state, ctx, "fill in their basic record")
    return [BasicsRecorded(**cmd.model_dump())]


def write_self_evaluation(state: Dossier, cmd: c.WriteSelfEvaluation, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    _require_self(state, ctx, "write their self-evaluation")
    return [SelfEvaluationWritten(text=cmd.text)]


def assign_post(state: Dossier, cmd: c.AssignPost, post_id: str, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    require_unit(ctx, cmd.unit_id)
    _not_after_today(cmd.start_date, ctx, "start_date")
    return [PostAssigned(post_id=post_id, **cmd.model_dump())]


def end_post(state: Dossier, post_id: str, cmd: c.EndPost, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    post = state.posts.get(post_id)
    if post is None:
        raise NotFound(f"cadre {state.cadre_id} has no post {post_id}", field="post_id", rule="post_exists")
    if post.end_date is not None:
        raise AlreadyDone(f"post {post_id} already ended on {post.end_date}", field="post_id", rule="post_open")
    if cmd.end_date < post.start_date:
        raise DomainError("a post cannot end before it started", field="end_date", rule="end_after_start")
    _not_after_today(cmd.end_date, ctx, "end_date")
    return [PostEnded(post_id=post_id, end_date=cmd.end_date, reason=cmd.reason)]


def transfer(state: Dossier, cmd: c.Transfer, post_id: str, ctx: Context) -> list[DomainEvent]:
    """调任: every open post ends the day before the new one starts."""
    _require_cadre(state)
    require_unit(ctx, cmd.unit_id)
    _not_after_today(cmd.start_date, ctx, "start_date")
    last_day = cmd.start_date - dt.timedelta(days=1)
    ended = []
    for post in state.posts.values():
        if post.end_date is None:
            if post.start_date > last_day:
                raise DomainError(f"post {post.post_id} started {post.start_date}: a transfer must start after it",
                                  field="start_date", rule="transfer_after_current_post")
            ended.append(PostEnded(post_id=post.post_id, end_date=last_day, reason=cmd.reason))
    new = PostAssigned(post_id=post_id, **cmd.model_dump(exclude={"reason"}))
    return [*ended, new]


def claim_achievement(state: Dossier, cmd: c.ClaimAchievement, achievement_id: str, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    _require_self(state, ctx, "report their own achievements")
    _not_after_today(cmd.effective_date, ctx, "effective_date")
    return [AchievementClaimed(achievement_id=achievement_id, **cmd.model_dump())]


def _claimed(state: Dossier, achievement_id: str) -> Achievement:
    a = state.achievements.get(achievement_id)
    if a is None:
        raise NotFound(f"no achievement {achievement_id}", field="achievement_id", rule="achievement_exists")
    if a.status != "claimed":
        raise AlreadyDone(f"achievement {achievement_id} is already {a.status}", field="achievement_id",
                          rule="achievement_awaits_verification")
    return a


def verify_achievement(state: Dossier, achievement_id: str, cmd: c.VerifyAchievement, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    a = _claimed(state, achievement_id)
    _require_superior(state, ctx, "verify an achievement")
    _check_against_catalogue(ctx, EntryKind.ACHIEVEMENT, cmd.category, cmd.points, None)
    return [AchievementVerified(achievement_id=achievement_id, title=a.title, category=cmd.category, points=cmd.points,
                                effective_date=a.effective_date, comment=cmd.comment)]


def reject_achievement(state: Dossier, achievement_id: str, cmd: c.RejectAchievement, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    _claimed(state, achievement_id)
    _require_superior(state, ctx, "reject an achievement")
    return [AchievementRejected(achievement_id=achievement_id, reason=cmd.reason)]


def _period(period: str, ctx: Context) -> Quarter:
    try:
        quarter = Quarter.parse(period)
    except ValueError as exc:
        raise DomainError(str(exc), field="period", rule="quarter_format") from None
    if quarter.first_day > ctx.today:
        raise DomainError(f"quarter {period} has not begun", field="period", rule="quarter_begun")
    return quarter


def _report(state: Dossier, period: str) -> QuarterlyReport:
    report = state.reports.get(period)
    if report is None:
        raise NotFound(f"no quarterly report for {period}", field="period", rule="report_exists")
    return report


def save_report(state: Dossier, period: str, cmd: c.SaveQuarterlyReport, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    _period(period, ctx)
    _require_self(state, ctx, "write their quarterly report")
    report = state.reports.get(period)
    if report is not None and report.status in ("submitted", "endorsed"):
        raise AlreadyDone(f"the {period} report is {report.status}: it cannot be edited", field="period",
                          rule="report_editable")
    return [QuarterlyReportSaved(period=period, **cmd.model_dump())]


def submit_report(state: Dossier, period: str, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    _period(period, ctx)
    _require_self(state, ctx, "submit their quarterly report")
    report = _report(state, period)
    if report.status not in ("draft", "returned"):
        raise AlreadyDone(f"the {period} report is {report.status}", field="period", rule="report_submittable")
    return [QuarterlyReportSubmitted(period=period)]


def _submitted_report_for_superior(state: Dossier, period: str, ctx: Context, what: str) -> None:
    _require_cadre(state)
    report = _report(state, period)
    _require_superior(state, ctx, what)
    if report.status != "submitted":
        raise AlreadyDone(f"the {period} report is {report.status}, not submitted", field="period",
                          rule="report_submitted")


def endorse_report(state: Dossier, period: str, cmd: c.EndorseQuarterlyReport, ctx: Context) -> list[DomainEvent]:
    _submitted_report_for_superior(state, period, ctx, "endorse a quarterly report")
    return [QuarterlyReportEndorsed(period=period, comment=cmd.comment)]


def return_report(state: Dossier, period: str, cmd: c.ReturnQuarterlyReport, ctx: Context) -> list[DomainEvent]:
    _submitted_report_for_superior(state, period, ctx, "return a quarterly report")
    return [QuarterlyReportReturned(period=period, comment=cmd.comment)]


def record_entry(state: Dossier, cmd: c.RecordEntry, entry_id: str, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    _not_after_today(cmd.effective_date, ctx, "effective_date")
    _check_against_catalogue(ctx, cmd.kind, cmd.category, cmd.points, cmd.impact_period)
    return [EntryRecorded(entry_id=entry_id, **cmd.model_dump())]


def amend_entry(state: Dossier, entry_id: str, cmd: c.AmendEntry, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    entry = _active_entry(state, entry_id)
    changes = cmd.model_dump(exclude={"reason"}, exclude_unset=True)
    amended = replace(entry, **changes)
    if amended == entry:
        raise DomainError("the amendment changes nothing", rule="amendment_changes_something")
    _not_after_today(amended.effective_date, ctx, "effective_date")
    _check_against_catalogue(ctx, entry.kind, amended.category, amended.points, amended.impact_period)
    return [EntryAmended(entry_id=entry_id, category=amended.category, points=amended.points,
                         effective_date=amended.effective_date, impact_period=amended.impact_period, reason=cmd.reason)]


def revoke_entry(state: Dossier, entry_id: str, cmd: c.RevokeEntry) -> list[DomainEvent]:
    _require_cadre(state)
    _active_entry(state, entry_id)
    return [EntryRevoked(entry_id=entry_id, reason=cmd.reason)]


def file_appeal(state: Dossier, entry_id: str, cmd: c.FileAppeal, appeal_id: str, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    entry = _active_entry(state, entry_id)
    _require_self(state, ctx, "appeal against an entry in their dossier")
    if entry.open_appeal:
        raise AlreadyDone(f"entry {entry_id} already has an open appeal {entry.open_appeal}", field="entry_id",
                          rule="one_open_appeal")
    return [AppealFiled(appeal_id=appeal_id, entry_id=entry_id, grounds=cmd.grounds)]


def decide_appeal(state: Dossier, appeal_id: str, cmd: c.DecideAppeal, ctx: Context) -> list[DomainEvent]:
    _require_cadre(state)
    appeal = state.appeals.get(appeal_id)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}", field="appeal_id", rule="appeal_exists")
    if appeal.outcome is not None:
        raise AlreadyDone(f"appeal {appeal_id} was already decided: {appeal.outcome}", field="appeal_id",
                          rule="appeal_open")
    if ctx.actor == state.cadre_id:
        raise NotAllowed("nobody may decide their own appeal", rule="not_own_record")
    decided = AppealDecided(appeal_id=appeal_id, entry_id=appeal.entry_id, outcome=cmd.outcome, reason=cmd.reason)
    if cmd.outcome is AppealOutcome.REVOKED:
        return [decided, EntryRevoked(entry_id=appeal.entry_id, reason=f"appeal {appeal_id} upheld by decision: {cmd.reason}")]
    return [decided]


# ------------------------------------------------------------------------------- assessment results (002, 001)

POLITICAL_QUALITY_FOR_EXCELLENT = Decimal(90)
_GRADE_ORDER = [AnnualGrade.EXCELLENT, AnnualGrade.COMPETENT, AnnualGrade.BASICALLY_COMPETENT, AnnualGrade.INCOMPETENT]


def grade_constraint_broken(y: YearAssessment) -> tuple[str, str, str] | None:
    """The first constraint of ``002``/``001`` that the year's results break: (field, rule, message)."""
    if y.vetoes and y.appraisal_level not in (None, AppraisalLevel.POOR):
        return ("level", "veto_means_poor_appraisal",
                "a morality/integrity veto (一票否决) makes the appraisal 差 (poor) directly")
    if y.appraisal_level in (AppraisalLevel.FAIRLY_GOOD, AppraisalLevel.AVERAGE) and y.annual_grade is AnnualGrade.EXCELLENT:
        return ("grade", "appraisal_below_good_excludes_excellent",
                "with an appraisal of 较好 or 一般 the annual grade cannot be 优秀")
    if y.appraisal_level is AppraisalLevel.POOR and y.annual_grade in (AnnualGrade.EXCELLENT, AnnualGrade.COMPETENT):
        return ("grade", "poor_appraisal_caps_grade_below_competent",
                "with an appraisal of 差 the annual grade cannot be 称职 or better")
    if (y.political_quality is not None and y.political_quality < POLITICAL_QUALITY_FOR_EXCELLENT
            and y.annual_grade is AnnualGrade.EXCELLENT):
        return ("grade", "political_quality_below_90_excludes_excellent",
                "a political-quality score below 90 excludes the grade 优秀")
    return None


def _assessment(state: Dossier, year: int, ctx: Context, new_events: list[DomainEvent]) -> list[DomainEvent]:
    """Apply ``new_events`` to the year and refuse them if the year would break a grade constraint."""
    _require_cadre(state)
    if year > ctx.today.year:
        raise DomainError(f"year {year} has not begun", field="year", rule="year_begun")
    after = state
    for event in new_events:
        after = evolve(after, event)
    broken = grade_constraint_broken(after.year(year))
    if broken:
        field_name, rule, message = broken
        raise DomainError(message, field=field_name, rule=rule)
    return new_events


def _correction_reason(already: bool, reason: str | None, what: str) -> None:
    if already and not reason:
        raise DomainError(f"the {what} of this year is already recorded: a correction needs a reason",
                          field="reason", rule="correction_has_reason")


def record_annual_grade(state: Dossier, year: int, cmd: c.RecordAnnualGrade, ctx: Context) -> list[DomainEvent]:
    _correction_reason(state.year(year).annual_grade is not None, cmd.reason, "annual grade")
    return _assessment(state, year, ctx, [AnnualGradeRecorded(year=year, **cmd.model_dump())])


def record_appraisal_level(state: Dossier, year: int, cmd: c.RecordAppraisalLevel, ctx: Context) -> list[DomainEvent]:
    _correction_reason(state.year(year).appraisal_level is not None, cmd.reason, "appraisal level")
    return _assessment(state, year, ctx, [AppraisalLevelRecorded(year=year, **cmd.model_dump())])


def record_democratic_evaluation(state: Dossier, year: int, cmd: c.RecordDemocraticEvaluation,
                                 ctx: Context) -> list[DomainEvent]:
    return _assessment(state, year, ctx, [DemocraticEvaluationRecorded(year=year, **cmd.model_dump())])


def record_scores(state: Dossier, year: int, cmd: c.RecordAssessmentScores, ctx: Context) -> list[DomainEvent]:
    y = state.year(year)
    overwrites = ((cmd.mass_satisfaction is not None and y.mass_satisfaction is not None)
                  or (cmd.political_quality is not None and y.political_quality is not None))
    _correction_reason(overwrites, cmd.reason, "score")
    return _assessment(state, year, ctx, [AssessmentScoresRecorded(year=year, **cmd.model_dump())])


def record_integrity_veto(state: Dossier, year: int, cmd: c.RecordIntegrityVeto, ctx: Context) -> list[DomainEvent]:
    """The veto makes the year's appraisal 差 directly: both events are recorded together."""
    events: list[DomainEvent] = [IntegrityVetoRecorded(year=year, basis=cmd.basis)]
    if state.year(year).appraisal_level is not AppraisalLevel.POOR:
        events.append(AppraisalLevelRecorded(year=year, level=AppraisalLevel.POOR,
                                             reason="morality/integrity veto (一票否决)"))
    return _assessment(state, year, ctx, events)


def record_declaration(state: Dossier, kind: DeclarationKind, flagged: bool, sealed: str, key_id: str) -> list[DomainEvent]:
    _require_cadre(state)
    return [DeclarationRecorded(declaration=kind, flagged=flagged, sealed_details=sealed, key_id=key_id)]
