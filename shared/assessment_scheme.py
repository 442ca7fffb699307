"""The assessment scheme (综合考评方案): what an annual comprehensive assessment counts, as a contract.

A scheme is a versioned, effective-dated document with the reason for its version and the document it
rests on (004: targets are "追加下达" during the year, so a mid-year change is a new version and the old
results stay reproducible). It names the kind of subject it assesses (unit 004, leadership team or cadre
001), the classes subjects fall into (001: 3 city types, 4 department types, 2 institution types, 3
enterprise types; 004: central districts, new districts, development zones; 000: economic-development vs
law-enforcement/service units), its components with a weight per class, and its indicators with their
kind, unit, direction, weight per class and a scoring function from a closed set (``FUNCTIONS``). No
free-form formula: the choices are data, and an unknown function is refused.

Where weights come from: 001 gives only the routine assessment's (平时考核) 40 % of the composite, and the
poverty-alleviation conversions 好 → 100, 较好 → 85. Every other weight, target, band, cap and grade
threshold in a scheme is the assessing department's choice; examples and demo schemes must say theirs
are illustrative.

The dossier validates a scheme on write and scoring computes with it, so the shape lives in ``shared``.
``parse_scheme`` refuses an invalid document with every problem as (field, rule, message), the shape of
the project's validation problems; the rules are in ``shared.assessment_checks``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.rule_sets import RankingRules

Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
Weight = Annotated[Decimal, Field(ge=0, le=100)]
Amount = Annotated[Decimal, Field(ge=-1_000_000_000, le=1_000_000_000)]
PointsValue = Annotated[Decimal, Field(ge=0, le=1000)]

SubjectKind = Literal["unit", "team", "cadre"]
# What a missing input of a component does: renormalise over what is present, count as zero, or block
# the result. Stated per component, never an implicit zero (stack-notes: Frappe's users' complaint).
MissingPolicy = Literal["renormalise", "zero", "block"]
IndicatorKind = Literal["data", "project", "constraint", "level"]
Direction = Literal["higher_is_better", "lower_is_better"]

# The grades each kind of subject can get, best first (004 for units, 001 for teams and cadres).
GRADE_SCALES: dict[str, tuple[str, ...]] = {
    "unit": ("merit", "pass", "fail"),  # 立功 / 达标 / 不达标
    "team": ("excellent", "good", "average", "poor"),  # 优秀 / 良好 / 一般 / 较差
    "cadre": ("excellent", "competent", "basically_competent", "incompetent"),  # 优秀 / 称职 / 基本称职 / 不称职
}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubjectClass(Frozen):
    id: Code
    name: str = Field(min_length=1, max_length=200)


class Component(Frozen):
    """A part of the composite (工作实绩, 平时考核, 民主测评, 上级评价, 部门评价, 政治素质 …). Its score comes
    from its indicators or, for ``source="score"``, from one evaluation score (0-100) of the subject."""

    id: Code
    name: str = Field(min_length=1, max_length=200)
    source: Literal["indicators", "score"]
    weights: dict[str, Weight] = Field(description="weight in the composite per class; each class adds up to 100")
    missing: MissingPolicy


class LinearToTarget(Frozen):
    """100 × reading / target (lower is better: 100 × target / reading), between 0 and ``cap``."""

    function: Literal["linear_to_target"]
    cap: PointsValue = Decimal(100)


class Band(Frozen):
    threshold: Amount
    points: PointsValue


class Bands(Frozen):
    """The points of the best band the reading reaches (higher is better: reading ≥ threshold; lower is
    better: reading ≤ threshold); ``otherwise`` below every band."""

    function: Literal["bands"]
    bands: tuple[Band, ...] = Field(min_length=1, max_length=50)
    otherwise: PointsValue = Decimal(0)


class LevelMap(Frozen):
    """A level reading mapped to points, e.g. 001's poverty-alleviation result 好 → 100, 较好 → 85."""

    function: Literal["level_map"]
    scale: tuple[str, ...] = Field(min_length=1, max_length=20)
    points: dict[str, PointsValue]


class RankInClass(Frozen):
    """Points by rank among the class's readings: ``best`` for the first, ``step`` less per rank, at
    least ``floor``. Ties share a rank."""

    function: Literal["rank_in_class"]
    best: PointsValue = Decimal(100)
    step: PointsValue
    floor: PointsValue = Decimal(0)


class Compare(Frozen):
    """``at_par`` points when the reading equals the basis, ``per_percent`` more (less) per percent better
    (worse), between ``floor`` and ``cap``. The basis: the target, the same period last year (004), or the
    class's other subjects: their average or their best (000: the gap to the average and to the best)."""

    function: Literal["compare"]
    basis: Literal["target", "last_year", "class_average", "class_best"]
    at_par: PointsValue
    per_percent: PointsValue
    cap: PointsValue = Decimal(100)
    floor: PointsValue = Decimal(0)


ScoringFunction = Annotated[LinearToTarget | Bands | LevelMap | RankInClass | Compare, Field(discriminator="function")]
FUNCTIONS = ("linear_to_target", "bands", "level_map", "rank_in_class", "compare")


class Indicator(Frozen):
    """An indicator of a component: data (monthly, 004), project (quarterly on site, 004), constraint (as it
    happens; ``veto``: a breach makes a unit 不达标, 004) or level (a graded result such as 001's poverty
    result). Weight 0 in a class means the indicator does not count there; every class is stated."""

    id: Code
    name: str = Field(min_length=1, max_length=200)
    component: Code
    kind: IndicatorKind
    unit: str = Field("", max_length=50)
    direction: Direction = "higher_is_better"
    weights: dict[str, Weight] = Field(description="weight within its component per class")
    targets: dict[str, Amount] = Field(default_factory=dict, description="target per class")
    scoring: ScoringFunction | None = None
    veto: bool = False


class WeightOverride(Frozen):
    """Weights re-balanced for one subject, with the reason (000: 北戴河's 12 weights, 4 lowered, 5 raised).
    The weights given replace its class's; the rest stay; the sums must still be 100."""

    subject_id: Code
    class_id: Code
    reason: str = Field(min_length=1, max_length=2000)
    document: str = Field("", max_length=500)
    components: dict[str, Weight] = Field(default_factory=dict)
    indicators: dict[str, Weight] = Field(default_factory=dict)


class Link(Frozen):
    """市县同责连带 (000): the points of ``subject_id`` on ``indicator`` are the mean of the points the
    ``from_subjects`` (e.g. the counties) earned on it."""

    subject_id: Code
    indicator: Code
    from_subjects: tuple[Code, ...] = Field(min_length=1, max_length=500)
    reason: str = Field(min_length=1, max_length=2000)


class GradeThreshold(Frozen):
    grade: str
    at_least: Decimal = Field(ge=0, le=1000)


class Rounding(Frozen):
    """Stated once and applied once, to the composite at the end; every other number is kept exact."""

    places: int = Field(2, ge=0, le=6)
    mode: Literal["half_up", "half_even"] = "half_up"


class Tracking(Frozen):
    """Tracking through the year (004, 000): a reading more than ``warning_margin`` percentage points behind its
    target's schedule raises a warning notice (预警通知单), closed when a later reading is back within it. A data
    reading is the year to date, so its schedule is the target × the share of the year elapsed (时序进度), but for
    the indicators in ``whole_target`` (rates and ratios), held to the whole target in every period."""

    warning_margin: Decimal = Field(gt=0, le=100, description="percentage points behind the schedule (e.g. 10)")
    whole_target: tuple[Code, ...] = Field(default=(), max_length=500,
                                           description="data indicators held to the whole target every period")


class AssessmentScheme(Frozen):
    """One version of an assessment scheme (综合考评方案)."""

    schema_version: ClassVar[int] = 1

    id: Code
    version: int = Field(ge=1)
    effective_from: dt.date
    effective_to: dt.date | None = Field(None, description="the last day it is in force; open when absent")
    reason: str = Field(min_length=1, max_length=2000, description="why this version")
    document: str = Field(min_length=1, max_length=500, description="the document it rests on (文件)")
    subject_kind: SubjectKind
    classes: tuple[SubjectClass, ...] = Field(min_length=1, max_length=100)
    components: tuple[Component, ...] = Field(min_length=1, max_length=50)
    indicators: tuple[Indicator, ...] = Field(default=(), max_length=500)
    overrides: tuple[WeightOverride, ...] = Field(default=(), max_length=1000)
    links: tuple[Link, ...] = Field(default=(), max_length=1000)
    grade_thresholds: tuple[GradeThreshold, ...] = Field(
        description="the lowest composite of each grade but the last, best first; below them the scale's last grade")
    rounding: Rounding = Rounding()
    ranking: RankingRules = RankingRules()
    tracking: Tracking | None = Field(None, description="warning notices through the year; none when absent")

    @property
    def name(self) -> str:
        return f"{self.id}@{self.version}"

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @model_validator(mode="after")
    def _refuse_invalid(self) -> AssessmentScheme:
        from shared.assessment_checks import scheme_problems

        problems = scheme_problems(self)
        if problems:
            raise SchemeInvalid(problems)
        return self


@dataclass(frozen=True, slots=True)
class SchemeProblem:
    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message}


class SchemeInvalid(Exception):
    """A scheme refused, with every problem found. Not a ValueError, so pydantic passes it through whole."""

    def __init__(self, problems: Iterable[SchemeProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.rule}: {p.message}" for p in self.problems))


def _problem(err: Mapping[str, Any]) -> SchemeProblem:
    loc = [str(p) for p in err.get("loc", ())]
    rule = str(err.get("type", "invalid"))
    if rule == "union_tag_invalid":
        rule, loc = "unknown_scoring_function", [*loc, "function"]
        tag = (err.get("ctx") or {}).get("tag", "?")
        return SchemeProblem(".".join(loc), rule, f"unknown scoring function {tag!r}; one of {', '.join(FUNCTIONS)}")
    return SchemeProblem(".".join(loc) or "scheme", rule, str(err.get("msg", "invalid")))


def parse_scheme(data: Mapping[str, Any] | str | bytes) -> AssessmentScheme:
    """The scheme in ``data`` (a dict or JSON), or ``SchemeInvalid`` naming each field and rule."""
    try:
        if isinstance(data, str | bytes):
            return AssessmentScheme.model_validate_json(data)
        return AssessmentScheme.model_validate(data)
    except ValidationError as exc:
        raise SchemeInvalid(_problem(e) for e in exc.errors()) from None


def version_problems(versions: Iterable[AssessmentScheme]) -> list[SchemeProblem]:
    """Versions of one scheme may not overlap in time or repeat a number (004: a mid-year change is a new
    version with its own dates, so the year's earlier results are still computed with the old one)."""
    ordered = sorted(enumerate(versions), key=lambda iv: (iv[1].effective_from, iv[1].version))
    problems: list[SchemeProblem] = []
    ids = {v.id for _, v in ordered}
    if len(ids) > 1:
        problems.append(SchemeProblem("versions", "versions_of_different_schemes",
                                      f"versions of different schemes given together: {sorted(ids)}"))
    seen: dict[int, int] = {}
    for i, v in ordered:
        if v.version in seen:
            problems.append(SchemeProblem(f"versions.{i}.version", "version_repeated",
                                          f"version {v.version} is given twice (also at versions.{seen[v.version]})"))
        seen.setdefault(v.version, i)
    for (i, a), (j, b) in itertools.pairwise(ordered):
        if a.effective_to is None or a.effective_to >= b.effective_from:
            end = a.effective_to.isoformat() if a.effective_to else "open-ended"
            problems.append(SchemeProblem(f"versions.{j}.effective_from", "versions_overlap",
                                          f"{b.name} starts {b.effective_from.isoformat()} while {a.name} "
                                          f"(versions.{i}) is in force until {end}"))
        if b.version < a.version:
            problems.append(SchemeProblem(f"versions.{j}.version", "versions_out_of_order",
                                          f"{b.name} takes effect after {a.name} (versions.{i}) with a lower number"))
    return problems


def in_force(versions: Iterable[AssessmentScheme], day: dt.date) -> AssessmentScheme | None:
    """The version in force on ``day``, if any (the versions are assumed not to overlap)."""
    return next((v for v in versions if v.in_force_on(day)), None)
