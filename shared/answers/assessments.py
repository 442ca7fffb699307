"""The annual comprehensive assessment's answers (issue 16): what its writes answer, and an example scheme.

The example scheme is illustrative: no source gives its weights, targets, bands or thresholds except the
routine assessment's 40 % and the poverty-alleviation conversion 好 → 100, 较好 → 85 (001)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import Field

from shared.answers.base import Answer, example
from shared.answers.writes import Written

_INPUT = "0b7c6a7e-2d7e-4a53-9f43-0e7b1f0a5c21"

EXAMPLE_SCHEME: dict[str, Any] = {
    "id": "district-2025", "version": 1, "effective_from": "2025-01-01", "effective_to": "2025-12-31",
    "reason": "年度综合考评方案（示例：权重为示意）", "document": "市综合考评办〔2025〕1号", "subject_kind": "unit",
    "classes": [{"id": "economic_development", "name": "经济发展类"}],
    "components": [
        {"id": "work", "name": "工作实绩", "source": "indicators", "missing": "renormalise",
         "weights": {"economic_development": "60"}},
        {"id": "routine", "name": "平时考核", "source": "score", "missing": "zero",
         "weights": {"economic_development": "40"}},
    ],
    "indicators": [
        {"id": "gdp", "name": "地区生产总值增速", "component": "work", "kind": "data", "unit": "%",
         "weights": {"economic_development": "60"}, "targets": {"economic_development": "100"},
         "scoring": {"function": "linear_to_target", "cap": "120"}},
        {"id": "poverty", "name": "脱贫攻坚成效", "component": "work", "kind": "level",
         "weights": {"economic_development": "40"},
         "scoring": {"function": "level_map", "scale": ["good", "fairly_good", "average", "poor"],
                     "points": {"good": "100", "fairly_good": "85", "average": "70", "poor": "50"}}},
        {"id": "ecology", "name": "生态环境重大事故", "component": "work", "kind": "constraint", "veto": True,
         "weights": {"economic_development": "0"}},
    ],
    "grade_thresholds": [{"grade": "merit", "at_least": "90"}, {"grade": "pass", "at_least": "60"}],
}
_BASIS = {"reason": "市统计局2025年7月月报", "document": "秦统字〔2025〕7号"}
REQUEST_EXAMPLES: dict[str, dict[str, Any]] = {
    "publish_assessment_scheme": {"scheme": EXAMPLE_SCHEME},
    "record_unit_assessment_reading": {"scheme_id": "district-2025", "indicator_id": "gdp", "period": "2025-07",
                                       "effective_date": "2025-07-31", "value": "104.5", "target": "100",
                                       "source": "市统计局月报", "basis": _BASIS},
    "record_unit_evaluation_score": {"scheme_id": "district-2025", "component_id": "routine",
                                     "evaluation": "routine", "period": "2025-Q2", "effective_date": "2025-06-30",
                                     "score": "88.5", "source": "平时考核季度监测"},
    "record_unit_constraint_breach": {"scheme_id": "district-2025", "indicator_id": "ecology",
                                      "effective_date": "2025-05-12", "note": "重大生态环境损害事故",
                                      "basis": {"reason": "省生态环境厅通报", "document": "甘环发〔2025〕12号"}},
    "revoke_unit_assessment_input": {"reason": "数据报送有误，撤销"},
    "record_cadre_assessment_reading": {"scheme_id": "cadres-2025", "indicator_id": "key_tasks", "period": "2025",
                                        "effective_date": "2025-12-20", "level": "good", "source": "重点任务督查"},
    "record_cadre_evaluation_score": {"scheme_id": "cadres-2025", "component_id": "superior",
                                      "evaluation": "superior", "period": "2025", "effective_date": "2025-12-20",
                                      "score": "92", "source": "上级评价表"},
    "revoke_cadre_assessment_input": {"reason": "评分表录入错误，撤销"},
    "decide_unit_assessment_grade": {"scheme_id": "district-2025", "subject_kind": "unit", "grade": "pass",
                                     "calculated": "merit", "proposed": "fail",
                                     "departures": [{"rule": "proposal", "reason": "事故经核查不属重大事故，不适用一票否决"},
                                                    {"rule": "constraint_veto_unit_fails",
                                                     "reason": "省厅复核通报已撤回（甘环函〔2025〕30号）"}]},
    "decide_cadre_assessment_grade": {"scheme_id": "cadres-2025", "grade": "competent", "calculated": "competent",
                                      "proposed": "competent"},
}


class SchemePublished(Written):
    model_config = example({"scheme_id": "district-2025", "version": 1})
    scheme_id: str


class InputWritten(Written):
    model_config = example({"input_id": _INPUT, "year": 2025, "version": 7})
    input_id: uuid.UUID
    year: int


class InputRevoked(InputWritten):
    model_config = example({"input_id": _INPUT, "year": 2025, "revoked": True, "version": 8})
    revoked: Literal[True]


class GradeDecided(Written):
    model_config = example({"year": 2025, "grade": "pass", "version": 9})
    year: int
    grade: str


WRITE_ANSWERS: dict[str, type[Written]] = {
    "decide_unit_assessment_grade": GradeDecided, "decide_cadre_assessment_grade": GradeDecided,
    "publish_assessment_scheme": SchemePublished,
    "record_unit_assessment_reading": InputWritten, "record_unit_evaluation_score": InputWritten,
    "record_unit_constraint_breach": InputWritten, "record_cadre_assessment_reading": InputWritten,
    "record_cadre_evaluation_score": InputWritten,
    "revoke_unit_assessment_input": InputRevoked, "revoke_cadre_assessment_input": InputRevoked,
}


# ------------------------------------------------------------------------------------------------- reads
# Numbers are exact decimal strings ("92.5"; the composite at the scheme's places, "88.00").

Num = str | None
_EV = "5f0c1e7a-5a0e-4a43-9c55-1c4f8b7d2e10"
_HEAD = {"scheme_id": "district-2025", "version": 1, "subject_kind": "unit", "year": 2025, "as_of": "2025-12-31",
         "known_at": "2026-12-06T05:00:00+00:00"}


class Decided(Answer):
    grade: str = Field(description="the grade decided and recorded (the same record as an annual grade)")
    event_id: str
    recorded_at: dt.datetime


class ResultLine(Answer):
    subject_id: str
    class_id: str
    status: Literal["complete", "blocked"]
    composite: Num
    rank: int | None = Field(description="within the class; none when blocked")
    of: int | None
    band: Literal["top", "bottom"] | None = Field(description="the two ends: top 30 %, bottom 10 % (000)")
    calculated: str | None = Field(description="the grade the composite reaches")
    proposed: str | None = Field(description="after every rule (the proposal, not the decision)")
    decided: Decided | None


class TwoEnds(Answer):
    class_id: str
    top: list[str]
    bottom: list[str]


class _Head(Answer):
    scheme_id: str
    version: int = Field(description="the scheme version in force on as_of")
    subject_kind: Literal["unit", "team", "cadre"]
    year: int
    as_of: dt.date
    known_at: dt.datetime


class AssessmentResults(_Head):
    model_config = example({**_HEAD, "class": "economic_development", "results": [
        {"subject_id": "qhd-haigang", "class_id": "economic_development", "status": "complete", "composite": "93.60",
         "rank": 1, "of": 1, "band": "top", "calculated": "merit", "proposed": "merit", "decided": None}],
        "two_ends": [{"class_id": "economic_development", "top": ["qhd-haigang"], "bottom": []}]})
    class_: str | None = Field(alias="class")
    results: list[ResultLine]
    two_ends: list[TwoEnds]


class Fired(Answer):
    rule: str
    source: str = Field(description="the article (000/001/002/004) or scheme")
    event_ids: list[str]
    message: str


class Missing(Answer):
    what: str
    component_id: str
    policy: Literal["renormalise", "zero", "block"]
    effect: str


class IndicatorLine(Answer):
    indicator_id: str
    name: str = Field(description="the scheme's name of the indicator")
    component_id: str
    kind: str
    unit: str
    direction: str
    function: str
    event_ids: list[str]
    raw: str | None
    basis: Num
    basis_kind: str | None
    points: Num
    weight: str
    contribution: Num
    status: str
    note: str
    linked_from: list[str]


class ComponentLine(Answer):
    component_id: str
    name: str = Field(description="the scheme's name of the component")
    source: Literal["indicators", "score"]
    weight: str
    missing_policy: str
    score: Num
    contribution: Num
    status: str
    event_ids: list[str]
    indicators: list[IndicatorLine]


class ProposalPart(Answer):
    calculated: str | None
    proposed: str | None
    appraisal_level: str | None
    fired: list[Fired]
    evidence: list[str]


class StandingPart(Answer):
    rank: int
    of: int
    band: Literal["top", "bottom"] | None


class ConsequencePart(Answer):
    rule: str
    source: str
    subject_id: str = Field(description="who bears it: the subject, or the head of a unit or team")
    action: str
    year: int
    event_ids: list[str]
    message: str


class IgnoredInput(Answer):
    event_id: str
    subject_id: str
    item_id: str
    reason: str


class SubjectResult(_Head):
    model_config = example({**_HEAD, "subject_id": "qhd-haigang", "class_id": "economic_development",
                            "status": "complete", "composite": "93.60", "exact": "93.6", "components": [
                                {"component_id": "routine", "name": "平时考核", "source": "score", "weight": "40",
                                 "missing_policy": "zero", "score": "90", "contribution": "36", "status": "scored",
                                 "event_ids": [_EV], "indicators": []}],
                            "missing": [], "fired": [],
                            "proposal": {"calculated": "merit", "proposed": "merit", "appraisal_level": None,
                                         "fired": [{"rule": "grade_from_composite", "source": "scheme",
                                                    "event_ids": [], "message": "composite 93.60 → merit"}],
                                         "evidence": [_EV]},
                            "standing": {"rank": 1, "of": 1, "band": "top"}, "decided": None, "consequences": [],
                            "ignored": []})
    subject_id: str
    class_id: str
    status: Literal["complete", "blocked"]
    composite: Num
    exact: Num
    components: list[ComponentLine]
    missing: list[Missing]
    fired: list[Fired] = Field(description="the rules that fired on the composite")
    proposal: ProposalPart
    standing: StandingPart | None
    decided: Decided | None
    consequences: list[ConsequencePart] = Field(description="what the proposed grade entails (001, 004)")
    ignored: list[IgnoredInput] = Field(description="inputs left out: not of this scheme version")
