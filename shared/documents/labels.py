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
