"""The dossier's commands as the public API accepts them (request bodies), and where each is posted.

They are a contract like the events: the gateway validates a request against them before it
forwards it, and the dossier validates it again. Unknown fields are refused; server-set fields
(ids, actor, recorded time, endorsement) are not accepted from a client. ``OPERATIONS`` lists
every write once, so the dossier's internal API and the gateway's public one cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from shared.events import (
    EARLIEST_EFFECTIVE_DATE,
    AnnualGrade,
    AppealOutcome,
    AppraisalLevel,
    Basis,
    EntryKind,
    ImpactPeriod,
    Leadership,
    RaterGroup,
    Score,
    TargetPrize,
    TeamGrade,
    UnitLevel,
    category_range_problem,
    points_sign_problem,
)
from shared.events import Points as EventPoints

UNIT_ID = r"^[A-Za-z0-9_.:-]+$"


# C0 control characters but tab, newline and carriage return, and DEL. A NUL cannot even be stored
# (PostgreSQL's jsonb refuses \u0000: such a request used to end in a 500); the others are noise
# no clerk means to type into a record that is kept forever.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character(value: Any, path: str = "") -> str | None:
    """Where the first control character in ``value`` (a string, or strings nested in dicts and
    lists) is, e.g. ``reason: U+0000``; None when there is none."""
    if isinstance(value, str):
        found = _CONTROL.search(value)
        if found is None:
            return None
        return f"{path}: U+{ord(found.group()):04X}" if path else f"U+{ord(found.group()):04X}"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if problem := control_character(item, f"{path}.{key}" if path else str(key)):
            return problem
    return None


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if problem := control_character(value):
            raise ValueError(f"must not contain control characters ({problem})")
        return value


def _not_before_records_began(value: dt.date) -> dt.date:
    if value < EARLIEST_EFFECTIVE_DATE:
        raise ValueError(f"dates must not be before {EARLIEST_EFFECTIVE_DATE.isoformat()}")
    return value


def _not_a_number(value: Any) -> Any:
    """Pydantic reads a bare number as seconds since 1970 (``0`` was 1 January 1970): a date is ISO 8601 text."""
    if isinstance(value, int | float):
        raise ValueError("give a date as YYYY-MM-DD, not a number")
    return value


# A date of the record, given as YYYY-MM-DD: no record predates 1 October 1949.


def _points_schema(signed: bool) -> WithJsonSchema:
    """Points as a write gives them: a number from -1000 (0 unless ``signed``) to 1000 with at most two decimals,
    or the same as decimal text. Pydantic's own schema let the text be any string (an empty one was refused
    with 422)."""
    sign, low = ("[+-]?", -1000) if signed else ("[+]?", 0)
    text = rf"^{sign}(1000(\.0{{1,2}})?|[0-9]{{1,3}}(\.[0-9]{{1,2}})?)$"
    return WithJsonSchema({"anyOf": [{"type": "number", "minimum": low, "maximum": 1000},
                                     {"type": "string", "pattern": text}]}, mode="validation")


Points = Annotated[EventPoints, _points_schema(signed=True)]
UnsignedPoints = Annotated[EventPoints, Field(ge=0), _points_schema(signed=False)]

# The schema says so too, in its pattern (a generator reads no minimum of a date): 1949-10-01 or later.
RECORD_DATE = (r"^(1949-1[0-2]|(19[5-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2]))"
               r"-(0[1-9]|[12][0-9]|3[01])$")
RecordDate = Annotated[dt.date, BeforeValidator(_not_a_number), AfterValidator(_not_before_records_began),
                       WithJsonSchema({"type": "string", "format": "date", "pattern": RECORD_DATE}, mode="validation")]


# A unit's stream is "unit-<id>", and the event store keeps stream ids of up to 64 characters: a longer id was a
# 500 on PostgreSQL (value too long for character varying(64)), stored on SQLite with a position past its pattern.
MAX_NEW_UNIT_ID = 64 - len("unit-")


class RegisterUnit(Command):
    unit_id: str = Field(min_length=1, max_length=MAX_NEW_UNIT_ID, pattern=UNIT_ID, examples=["qhd-haigang-fgw"])
    name: str = Field(min_length=1, max_length=200, examples=["海港区发展和改革局"])
    parent_id: str | None = Field(None, max_length=100, pattern=UNIT_ID, examples=["qhd-haigang"])
    level: UnitLevel
    unit_class: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$", examples=["economic_development"])


class RecordTeamGrade(Command):
    grade: TeamGrade
    reason: str | None = Field(None, min_length=1, max_length=2000, description="required when correcting a year")


class RecordTargetEvaluation(Command):
    prize: TargetPrize
    reason: str | None = Field(None, min_length=1, max_length=2000, description="required when correcting a year")


class DefineCategory(Command):
    code: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$", examples=["honour"])
    name: str = Field(min_length=1, max_length=200, examples=["表彰奖励"])
    kind: EntryKind
    min_points: Points
    max_points: Points
    description: str = Field("", max_length=2000)
    sanction: StrictBool = False  # true or false: 0 and 1 were read as booleans, the schema says boolean

    @field_validator("max_points")
    @classmethod
    def _range_fits_kind(cls, max_points, info: ValidationInfo):
        # Regression (schemathesis): min = max = 0 for a negative category passed the command and
        # failed building the event, a 500. The same rule now refuses it here, naming the field.
        kind, min_points = info.data.get("kind"), info.data.get("min_points")
        if kind is not None and min_points is not None and (
                problem := category_range_problem(kind, min_points, max_points)):
            raise ValueError(problem)
        return max_points


class RegisterCadre(Command):
    name: str = Field(min_length=1, max_length=100, examples=["张伟"])
    unit_id: str = Field(min_length=1, max_length=100, pattern=UNIT_ID, examples=["qhd-haigang-fgw"])
    birth_date: RecordDate | None = Field(None, description="出生年月 from the personnel file, where it gives one; "
                                                            "the cadre's own basics, once filled in, hold instead")


class RecordBasics(Command):
    birth_date: RecordDate | None = None
    gender: str | None = Field(None, max_length=20)
    education: str | None = Field(None, max_length=100)
    political_status: str | None = Field(None, max_length=100)



class WriteSelfEvaluation(Command):
    text: str = Field(min_length=1, max_length=10_000)


class AssignPost(Command):
    unit_id: str = Field(min_length=1, max_length=100, pattern=UNIT_ID)
    position: str = Field(min_length=1, max_length=200, examples=["局长"])
    rank: str = Field(min_length=1, max_length=100, examples=["正处级"])
    leadership: Leadership
    start_date: RecordDate



class EndPost(Command):
    end_date: RecordDate
    reason: str = Field(min_length=1, max_length=2000)



class Transfer(AssignPost):
    """调任: every open post ends the day before ``start_date``, and the new post begins."""

    reason: str = Field(min_length=1, max_length=2000)


class ClaimAchievement(Command):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=10_000)
    effective_date: RecordDate



class VerifyAchievement(Command):
    category: str = Field(min_length=1, max_length=100, examples=["key_project"])
    points: UnsignedPoints
    comment: str | None = Field(None, max_length=2000)


class RejectAchievement(Command):
    reason: str = Field(min_length=1, max_length=2000)


class SaveQuarterlyReport(Command):
    key_work: str = Field(min_length=1, max_length=10_000, description="completion of the quarter's key work")
    indicator_progress: str = Field(min_length=1, max_length=10_000,
                                    description="progress on the indicator tasks assigned by the higher level")
    most_satisfied: str = Field(min_length=1, max_length=5_000, description="the work most satisfied with")
    least_satisfied: str = Field(min_length=1, max_length=5_000, description="the work least satisfied with")


class SubmitQuarterlyReport(Command):
    pass


class EndorseQuarterlyReport(Command):
    comment: str | None = Field(None, max_length=2000)


class ReturnQuarterlyReport(Command):
    comment: str = Field(min_length=1, max_length=2000, description="what to revise")


class RecordEntry(Command):
    kind: EntryKind = Field(description="achievement (实绩, points >= 0), positive (正面清单, > 0), negative (负面清单, < 0)")
    category: str = Field(min_length=1, max_length=100, examples=["honour"], description="a code of the catalogue")
    title: str = Field(min_length=1, max_length=300, examples=["获市级先进个人表彰"])
    points: Points = Field(examples=[3])
    effective_date: RecordDate = Field(description="the day it counts from, not after today", examples=["2026-03-15"])
    basis: Basis
    impact_period: ImpactPeriod | None = Field(None, description="影响期, required for sanction categories only")

    @field_validator("points")
    @classmethod
    def _points_match_kind(cls, points, info: ValidationInfo):
        kind = info.data.get("kind")
        if kind is not None and (problem := points_sign_problem(kind, points)):
            raise ValueError(problem)
        return points



def _not_null(schema: dict[str, Any]) -> None:
    """The schema of a field that may be left out but not given as null: no null alternative, no default."""
    schema.pop("default", None)
    alternatives = [a for a in schema.pop("anyOf", []) if a != {"type": "null"}]
    if len(alternatives) == 1:
        schema.update(alternatives[0])
    elif alternatives:
        schema["anyOf"] = alternatives


class AmendEntry(Command):
    """A correction: give the fields that change, and why. The entry's kind cannot change."""

    # Left out, a field stays as it is; null is refused for these three (an entry has them all: an explicit null
    # was carried into the amended entry, a 500). Only impact_period may be null: the entry then has none.
    category: str | None = Field(None, min_length=1, max_length=100, json_schema_extra=_not_null)
    points: Points | None = Field(None, json_schema_extra=_not_null)
    effective_date: RecordDate | None = Field(None, json_schema_extra=_not_null)
    impact_period: ImpactPeriod | None = None
    reason: str = Field(min_length=1, max_length=2000)

    @field_validator("category", "points", "effective_date")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("leave the field out to keep it; it cannot be null")
        return value


    @model_validator(mode="after")
    def _changes_something(self) -> AmendEntry:
        if not self.model_fields_set - {"reason"}:
            raise ValueError("give at least one of category, points, effective_date, impact_period")
        return self


class RevokeEntry(Command):
    reason: str = Field(min_length=1, max_length=2000, examples=["申诉成立，撤销该条记录"])


class FileAppeal(Command):
    grounds: str = Field(min_length=1, max_length=4000)


class DecideAppeal(Command):
    outcome: AppealOutcome
    reason: str = Field(min_length=1, max_length=2000)


class RecordAnnualGrade(Command):
    grade: AnnualGrade
    reason: str | None = Field(None, min_length=1, max_length=2000, description="required when correcting a year")


class RecordAppraisalLevel(Command):
    level: AppraisalLevel
    reason: str | None = Field(None, min_length=1, max_length=2000, description="required when correcting a year")


class RecordDemocraticEvaluation(Command):
    rater_group: RaterGroup
    counts: dict[AnnualGrade, int] = Field(description="raters per grade, e.g. {\"excellent\": 12, \"competent\": 30}")

    @field_validator("counts")
    @classmethod
    def _counts(cls, counts: dict[AnnualGrade, int]) -> dict[AnnualGrade, int]:
        if not counts or any(not 0 <= n <= 1_000_000 for n in counts.values()) or sum(counts.values()) == 0:
            raise ValueError("counts needs at least one rater and each count within 0..1000000")
        return counts


class RecordAssessmentScores(Command):
    mass_satisfaction: Score | None = None
    political_quality: Score | None = None
    reason: str | None = Field(None, min_length=1, max_length=2000, description="required when correcting a score")

    @model_validator(mode="after")
    def _some_score(self) -> RecordAssessmentScores:
        if self.mass_satisfaction is None and self.political_quality is None:
            raise ValueError("give mass_satisfaction, political_quality or both")
        return self


class RecordIntegrityVeto(Command):
    basis: Basis


class RecordDeclaration(Command):
    flagged: StrictBool = Field(description="relatives: an avoidance conflict exists; naked_official: the status applies")
    details: str = Field(min_length=1, max_length=10_000, description="sealed at rest; shown only to roles that need it")


@dataclass(frozen=True)
class Operation:
    """One write of the public API: ``path`` is relative to /api/v1 (gateway) and /v1 (dossier)."""

    name: str
    path: str
    body: type[Command]
    summary: str
    tag: str
    conditional: bool = True  # a write to a cadre's dossier: If-Match applies


OPERATIONS: list[Operation] = [
    Operation("register_unit", "/units", RegisterUnit, "Register a unit (city, county/district or unit)", "units", False),
    Operation("record_team_grade", "/units/{unit_id}/team-grades/{year}", RecordTeamGrade,
              "Record a leadership team's annual grade", "units", False),
    Operation("record_target_evaluation", "/units/{unit_id}/target-evaluations/{year}", RecordTargetEvaluation,
              "Record a unit's annual target evaluation (a third prize bars its heads for a year)", "units", False),
    Operation("define_category", "/categories", DefineCategory, "Define or redefine a list category", "catalogue", False),
    Operation("register_cadre", "/cadres", RegisterCadre, "Register a cadre", "cadres", False),
    Operation("record_basics", "/cadres/{cadre_id}/basics", RecordBasics, "Fill in one's personal basics", "basic record"),
    Operation("write_self_evaluation", "/cadres/{cadre_id}/self-evaluation", WriteSelfEvaluation,
              "Write one's self-evaluation", "basic record"),
    Operation("assign_post", "/cadres/{cadre_id}/posts", AssignPost, "Assign a post", "posts"),
    Operation("end_post", "/cadres/{cadre_id}/posts/{post_id}/end", EndPost, "End a post", "posts"),
    Operation("transfer", "/cadres/{cadre_id}/transfer", Transfer, "Transfer: end open posts, start a new one", "posts"),
    Operation("claim_achievement", "/cadres/{cadre_id}/achievements", ClaimAchievement,
              "Report a key achievement (counts once verified)", "basic record"),
    Operation("verify_achievement", "/cadres/{cadre_id}/achievements/{achievement_id}/verification",
              VerifyAchievement, "Verify a subordinate's achievement and set its points", "basic record"),
    Operation("reject_achievement", "/cadres/{cadre_id}/achievements/{achievement_id}/rejection",
              RejectAchievement, "Reject a subordinate's claimed achievement", "basic record"),
    Operation("save_report", "/cadres/{cadre_id}/quarterly-reports/{period}/draft", SaveQuarterlyReport,
              "Save the draft of one's quarterly report", "quarterly reports"),
    Operation("submit_report", "/cadres/{cadre_id}/quarterly-reports/{period}/submission", SubmitQuarterlyReport,
              "Submit one's quarterly report to the superior", "quarterly reports"),
    Operation("endorse_report", "/cadres/{cadre_id}/quarterly-reports/{period}/endorsement", EndorseQuarterlyReport,
              "Endorse (sign) a subordinate's report: it is filed", "quarterly reports"),
    Operation("return_report", "/cadres/{cadre_id}/quarterly-reports/{period}/return", ReturnQuarterlyReport,
              "Return a subordinate's report for revision", "quarterly reports"),
    Operation("record_entry", "/cadres/{cadre_id}/entries", RecordEntry,
              "Record an achievement, positive-list or negative-list entry", "entries"),
    Operation("amend_entry", "/cadres/{cadre_id}/entries/{entry_id}/amendment", AmendEntry,
              "Correct an entry (a new event; the original stays)", "entries"),
    Operation("revoke_entry", "/cadres/{cadre_id}/entries/{entry_id}/revocation", RevokeEntry,
              "Revoke an entry (a new event; the original stays)", "entries"),
    Operation("file_appeal", "/cadres/{cadre_id}/entries/{entry_id}/appeals", FileAppeal,
              "Appeal against an entry in one's dossier", "entries"),
    Operation("decide_appeal", "/cadres/{cadre_id}/appeals/{appeal_id}/decision", DecideAppeal,
              "Decide an appeal: upheld (the entry stands) or revoked", "entries"),
    Operation("record_annual_grade", "/cadres/{cadre_id}/assessments/{year}/annual-grade", RecordAnnualGrade,
              "Record the annual assessment grade", "assessments"),
    Operation("record_appraisal_level", "/cadres/{cadre_id}/assessments/{year}/appraisal-level", RecordAppraisalLevel,
              "Record the performance appraisal level", "assessments"),
    Operation("record_democratic_evaluation", "/cadres/{cadre_id}/assessments/{year}/democratic-evaluation",
              RecordDemocraticEvaluation, "Record one rater group's democratic-evaluation tallies", "assessments"),
    Operation("record_scores", "/cadres/{cadre_id}/assessments/{year}/scores", RecordAssessmentScores,
              "Record mass-satisfaction and political-quality scores", "assessments"),
    Operation("record_integrity_veto", "/cadres/{cadre_id}/assessments/{year}/integrity-veto", RecordIntegrityVeto,
              "Record a morality/integrity veto (the appraisal becomes poor)", "assessments"),
    Operation("record_declaration", "/cadres/{cadre_id}/declarations/{declaration}", RecordDeclaration,
              "Record a sensitive declaration (relatives, naked official)", "declarations"),
]


# The annual comprehensive assessment's writes (issue 16) and the facts a portrait needs (issue 20), each in its
# own module, which adds them to OPERATIONS whichever of the two is imported first.
import shared.assessment_commands  # noqa: E402
import shared.assessment_consequence_commands  # noqa: E402
import shared.assessment_notice_commands  # noqa: E402  (its notices, step 6)
import shared.profile_commands  # noqa: E402, F401
