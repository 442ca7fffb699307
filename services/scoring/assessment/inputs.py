"""What an annual comprehensive assessment reads, as plain frozen values with the ids of the events they
come from. The application layer builds them from the dossier; the rules here never read anything else.
A subject's inputs are for the year assessed: choosing the year's events is the caller's part.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Subject:
    """A unit, a leadership team or a cadre, and the class it is assessed in (001, 004, 000)."""

    subject_id: str
    class_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Reading:
    """An indicator's reading for the year: a number (``value``; ``last_year`` for the same period last year,
    004) or a level (``level``, e.g. the poverty-alleviation result 好, 001)."""

    subject_id: str
    indicator_id: str
    value: Decimal | None = None
    level: str | None = None
    last_year: Decimal | None = None
    event_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EvaluationScore:
    """The score (0-100) of a component scored as a whole: 民主测评, 上级评价, 部门评价, 平时考核, 政治素质 (001)."""

    subject_id: str
    component_id: str
    score: Decimal
    event_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConstraintBreach:
    """A breach of a constraint indicator, e.g. a major ecological accident in a district (004)."""

    subject_id: str
    indicator_id: str
    event_ids: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Inputs:
    readings: tuple[Reading, ...] = ()
    scores: tuple[EvaluationScore, ...] = ()
    breaches: tuple[ConstraintBreach, ...] = ()


@dataclass(frozen=True, slots=True)
class DowngradeMatter:
    """A matter that lowers a team's grade (001): ``veto_matter`` (一票否决事项), ``public_reprimand``
    (被通报批评), ``member_disciplined`` (班子成员被组织处理、受党纪政务处分或立案审查). A low overall rank
    with a formal talk (排名靠后且被约谈) is ``formal_talk`` here and fires only with a bottom rank."""

    kind: str
    event_ids: tuple[str, ...] = ()


DOWNGRADE_KINDS = ("veto_matter", "formal_talk", "public_reprimand", "member_disciplined")


@dataclass(frozen=True, slots=True)
class GradeFacts:
    """What the grade proposal reads beside the composite, per subject.

    ``political_quality``: the 政治素质 score (001). ``integrity_veto_events``: a morality/integrity
    violation (002). ``appraisal_level``: the 实绩鉴定 level of a cadre (good / fairly_good / average /
    poor, 002). ``poverty_result``: the poverty-alleviation result (good / fairly_good / average / poor) of
    a poverty county, for its team and, with ``poverty_county_head``, for its party or government head
    (001). ``prior_grade``: last year's grade (two consecutive years 不达标, 004). ``head_id``: the principal
    head of a unit or team, who bears some consequences (001, 004).
    """

    subject_id: str
    political_quality: Decimal | None = None
    political_quality_events: tuple[str, ...] = ()
    integrity_veto_events: tuple[str, ...] = ()
    appraisal_level: str | None = None
    appraisal_events: tuple[str, ...] = ()
    poverty_result: str | None = None
    poverty_events: tuple[str, ...] = ()
    poverty_county_head: bool = False
    downgrades: tuple[DowngradeMatter, ...] = ()
    prior_grade: str | None = None
    prior_grade_events: tuple[str, ...] = ()
    head_id: str | None = None
