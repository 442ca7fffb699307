"""Schemes and inputs for the assessment tests. Every weight, target, band and threshold here is
illustrative (no source gives them) except the routine assessment's 40 % and 好 → 100 / 较好 → 85 (001)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from services.scoring.assessment import EvaluationScore, Reading, Subject
from shared.assessment_scheme import AssessmentScheme, parse_scheme

D = Decimal

UNIT_SCHEME: dict[str, Any] = {
    "id": "district-2025", "version": 1, "effective_from": "2025-01-01", "effective_to": "2025-12-31",
    "reason": "年度综合考评方案", "document": "市综合考评办〔2025〕1号", "subject_kind": "unit",
    "classes": [{"id": "central", "name": "中心城区"}, {"id": "new", "name": "新城区"}],
    "components": [
        {"id": "work", "name": "工作实绩", "source": "indicators", "missing": "renormalise",
         "weights": {"central": "60", "new": "50"}},
        {"id": "routine", "name": "平时考核", "source": "score", "missing": "zero", "weights": {"central": "40", "new": "40"}},
        {"id": "survey", "name": "部门评价", "source": "score", "missing": "block", "weights": {"central": "0", "new": "10"}},
    ],
    "indicators": [
        {"id": "gdp", "name": "地区生产总值增速", "component": "work", "kind": "data", "unit": "%",
         "weights": {"central": "50", "new": "40"}, "targets": {"central": "100", "new": "80"},
         "scoring": {"function": "linear_to_target", "cap": "120"}},
        {"id": "projects", "name": "重点项目", "component": "work", "kind": "project",
         "weights": {"central": "30", "new": "30"},
         "scoring": {"function": "bands", "otherwise": "0", "bands": [
             {"threshold": "90", "points": "100"}, {"threshold": "75", "points": "80"},
             {"threshold": "60", "points": "60"}]}},
        {"id": "poverty", "name": "脱贫攻坚成效", "component": "work", "kind": "level",
         "weights": {"central": "20", "new": "30"},
         "scoring": {"function": "level_map", "scale": ["good", "fairly_good", "average", "poor"],
                     "points": {"good": "100", "fairly_good": "85", "average": "70", "poor": "50"}}},
        {"id": "ecology", "name": "生态环境重大事故", "component": "work", "kind": "constraint", "veto": True,
         "weights": {"central": "0", "new": "0"}},
    ],
    "overrides": [{"subject_id": "beidaihe", "class_id": "central", "reason": "旅游城区：增速权重下调，项目权重上调",
                   "document": "市综合考评办〔2025〕3号", "indicators": {"gdp": "40", "projects": "40"}}],
    "links": [{"subject_id": "n5", "indicator": "gdp", "from_subjects": ["c1", "n1"], "reason": "市县同责连带"}],
    "grade_thresholds": [{"grade": "merit", "at_least": "90"}, {"grade": "pass", "at_least": "60"}],
}


def scheme(base: dict[str, Any] | None = None, **changes: Any) -> AssessmentScheme:
    doc = copy.deepcopy(base or UNIT_SCHEME)
    doc.update(changes)
    return parse_scheme(doc)


def doc(base: dict[str, Any] | None = None) -> dict[str, Any]:
    return copy.deepcopy(base or UNIT_SCHEME)


SUBJECTS = [Subject("c1", "central"), Subject("c2", "central"), Subject("c3", "central"),
            Subject("beidaihe", "central"), Subject("n1", "new"), Subject("n2", "new"), Subject("n3", "new"),
            Subject("n4", "new"), Subject("n5", "new")]


def r(subject: str, indicator: str, value: str | None = None, level: str | None = None) -> Reading:
    return Reading(subject, indicator, D(value) if value is not None else None, level,
                   event_ids=(f"ev-{subject}-{indicator}",))


def s(subject: str, component: str, score: str) -> EvaluationScore:
    return EvaluationScore(subject, component, D(score), (f"ev-{subject}-{component}",))


READINGS = [
    r("c1", "gdp", "110"), r("c1", "projects", "80"), r("c1", "poverty", level="fairly_good"),
    r("c2", "projects", "95"), r("c2", "poverty", level="good"),
    r("c3", "gdp", "90"), r("c3", "projects", "60"), r("c3", "poverty", level="average"),
    r("beidaihe", "gdp", "130"), r("beidaihe", "projects", "70"), r("beidaihe", "poverty", level="good"),
    r("n1", "gdp", "60"), r("n1", "projects", "90"), r("n1", "poverty", level="fairly_good"),
    r("n2", "gdp", "80"), r("n2", "projects", "90"), r("n2", "poverty", level="good"),
    r("n3", "gdp", "88"), r("n3", "projects", "76"), r("n3", "poverty", level="good"),
    r("n4", "gdp", "70"), r("n4", "poverty", level="good"),
    r("n5", "projects", "90"), r("n5", "poverty", level="average"),
]
SCORES = [
    s("c1", "routine", "90"), s("c2", "routine", "70"), s("beidaihe", "routine", "85"),
    s("n1", "routine", "80"), s("n1", "survey", "95"), s("n2", "routine", "75"),
    s("n3", "routine", "92"), s("n3", "survey", "91"), s("n4", "routine", "77"), s("n4", "survey", "83"),
    s("n5", "routine", "60"), s("n5", "survey", "70"),
]
