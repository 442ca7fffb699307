"""The annual comprehensive assessment's answers (issue 16): what its writes answer, and an example scheme.

The example scheme is illustrative: no source gives its weights, targets, bands or thresholds except the
routine assessment's 40 % and the poverty-alleviation conversion 好 → 100, 较好 → 85 (001)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from shared.answers.base import example
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


WRITE_ANSWERS: dict[str, type[Written]] = {
    "publish_assessment_scheme": SchemePublished,
    "record_unit_assessment_reading": InputWritten, "record_unit_evaluation_score": InputWritten,
    "record_unit_constraint_breach": InputWritten, "record_cadre_assessment_reading": InputWritten,
    "record_cadre_evaluation_score": InputWritten,
    "revoke_unit_assessment_input": InputRevoked, "revoke_cadre_assessment_input": InputRevoked,
}
