"""The Chinese names of the codes in the answers, as a printed form or a workbook shows them."""

from __future__ import annotations

from typing import Any

KIND = {"achievement": "实绩", "positive": "正面清单", "negative": "负面清单"}
ANNUAL_GRADE = {"excellent": "优秀", "competent": "称职", "basically_competent": "基本称职", "incompetent": "不称职",
                "ungraded": "不定等次"}
APPRAISAL_LEVEL = {"good": "好", "fairly_good": "较好", "average": "一般", "poor": "差"}
RATER_GROUP = {"superiors": "上级评价", "peers": "同级互评", "subordinates": "下级评价", "public": "群众评价"}
LEADERSHIP = {"chief": "正职", "deputy": "副职", "member": "成员"}
VERDICT = {"eligible": "符合条件", "ineligible": "不符合条件", "undetermined": "待定"}
BAND = {"top": "前30%", "bottom": "后10%"}
LEVEL = {"yellow": "黄色", "red": "红色"}
STATUS = {"active": "生效", "cleared": "已解除"}
OUTCOME = {"allowed": "允许", "refused": "拒绝", "failed": "失败"}
# The grades of an assessment scheme's subjects (shared.assessment_scheme.GRADE_SCALES): a unit's, a team's, a cadre's.
ASSESSMENT_GRADE = {"merit": "立功", "pass": "达标", "fail": "不达标", "good": "良好", "average": "一般", "poor": "较差",
                    **ANNUAL_GRADE}
# The usual components of a cadre's assessment scheme (their ids as the schemes name them, after the evaluations
# of shared.assessment_events.EvaluationKind); a component of another id prints as its id.
COMPONENT = {"work": "工作实绩", "superior": "上级评价", "department": "部门评价", "democratic": "民主测评",
             "routine": "平时考核", "political_quality": "政治素质", "key_tasks": "重点任务"}
COMPONENT_STATUS = {"scored": "已评分", "renormalised": "缺项，按其余权重折算", "counted_zero": "缺项，按零分计",
                    "missing": "缺项", "blocked": "缺少必需数据"}
RESULT_STATUS = {"complete": "已算出", "blocked": "缺少必需数据"}
TASK = {"endorse_report": "审核季度报告", "verify_achievement": "核实工作实绩", "decide_appeal": "处理申诉"}
QUARTER = {"Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度"}


def name_of(table: dict[str, str], code: Any) -> str:
    """``code``'s Chinese name, the code itself when the table has none, an empty text for none."""
    if code is None:
        return ""
    return table.get(str(code), str(code))


def points(value: float | int | None) -> str:
    """Points as printed: a sign, and no trailing zeros (+2, -0.5, 0)."""
    if value is None:
        return ""
    text = f"{value:+.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("+0", "-0") else text
