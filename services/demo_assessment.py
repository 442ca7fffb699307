"""The demo county's annual comprehensive assessment (综合考评, issue 16): a scheme for its units in their three
classes and a year of readings, as import rows after the rest of the demo (``services.demo_city``).

The year is the one before the demo's last day, so the whole year is there: data indicators against their
targets, one read monthly and one quarterly (004: the latest reading stands for the year), quarterly on-site
project checks (004), a level indicator scored 好 → 100, 较好 → 85 (001), the quarterly routine assessment (平时考核) at
40 % of the composite (001), one constraint breach (一票否决, 004) somewhere, a warning margin (so warning
notices, 预警通知单, show) and two notices (通知单), one answered. Every other weight, target, band
and threshold is illustrative, and the scheme says so. From its own ``random.Random``: the cadres' rows do not
change when this does.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

DEMO_SCHEME_PREFIX = "qhd-units"
CLASSES = {"economic_department": "经济部门", "social_development_department": "社会发展部门",
           "other_institution": "其他事业单位"}
_ILLUSTRATIVE = ("示例方案：平时考核占 40 % 与脱贫攻坚成效 好 → 100、较好 → 85 依据 001，其余权重、目标、分档与等次线均为示意，"
                 "无文件依据")


def _per_class(econ: str, social: str, inst: str) -> dict[str, str]:
    return dict(zip(CLASSES, (econ, social, inst), strict=True))


def demo_scheme(year: int) -> dict[str, Any]:
    """The demo's scheme for ``year``: a unit scheme over the demo's three unit classes."""
    return {
        "id": f"{DEMO_SCHEME_PREFIX}-{year}", "version": 1, "effective_from": f"{year}-01-01",
        "effective_to": f"{year}-12-31", "reason": f"{year}年度单位综合考评（{_ILLUSTRATIVE}）",
        "document": f"秦综考办〔{year}〕1号（示例文件，权重为示意）", "subject_kind": "unit",
        "classes": [{"id": k, "name": v} for k, v in CLASSES.items()],
        "components": [
            {"id": "work", "name": "工作实绩", "source": "indicators", "missing": "renormalise",
             "weights": _per_class("60", "60", "60")},
            {"id": "routine", "name": "平时考核", "source": "score", "missing": "zero",
             "weights": _per_class("40", "40", "40")},  # 001
        ],
        "indicators": [
            {"id": "key_tasks", "name": "重点工作任务完成率", "component": "work", "kind": "data", "unit": "%",
             "weights": _per_class("35", "30", "40"), "targets": _per_class("100", "100", "100"),
             "scoring": {"function": "linear_to_target", "cap": "110"}},
            {"id": "handling_days", "name": "群众诉求平均办结时长", "component": "work", "kind": "data", "unit": "天",
             "direction": "lower_is_better", "weights": _per_class("15", "25", "30"),
             "targets": _per_class("5", "4", "6"), "scoring": {"function": "linear_to_target", "cap": "110"}},
            {"id": "projects", "name": "重点项目推进", "component": "work", "kind": "project",
             "weights": _per_class("30", "25", "15"),
             "scoring": {"function": "bands", "otherwise": "50", "bands": [
                 {"threshold": "90", "points": "100"}, {"threshold": "75", "points": "85"},
                 {"threshold": "60", "points": "70"}]}},
            {"id": "revitalisation", "name": "脱贫攻坚与乡村振兴帮扶成效", "component": "work", "kind": "level",
             "weights": _per_class("20", "20", "15"),
             "scoring": {"function": "level_map", "scale": ["good", "fairly_good", "average", "poor"],
                         "points": {"good": "100", "fairly_good": "85", "average": "70", "poor": "50"}}},
            {"id": "safety", "name": "安全生产重大事故", "component": "work", "kind": "constraint", "veto": True,
             "weights": _per_class("0", "0", "0")},
        ],
        "grade_thresholds": [{"grade": "merit", "at_least": "90"}, {"grade": "pass", "at_least": "60"}],
        # warning notices (预警通知单, 004) beyond 10 points behind the schedule (illustrative); the handling time is a
        # rate, held to its whole target every quarter
        "tracking": {"warning_margin": "10", "whole_target": ["handling_days"]},
    }


def _month_end(year: int, month: int) -> str:
    return dt.date(year, month, calendar.monthrange(year, month)[1]).isoformat()


def _row(key: str, operation: str, params: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return {"row_key": key, "operation": operation, "params": params, "body": body}


def demo_assessment(units: Sequence[tuple[str, str]], year: int, seed: int) -> Iterator[dict[str, Any]]:
    """The scheme, then each unit's year of readings and scores, then one breach. ``units``: (unit id, class)."""
    rng = random.Random(seed)
    scheme = demo_scheme(year)
    scheme_id = scheme["id"]
    targets = {i["id"]: i.get("targets", {}) for i in scheme["indicators"]}
    yield _row(f"assess-{scheme_id}", "publish_assessment_scheme", {}, {"scheme": scheme})
    for unit_id, unit_class in units:
        if unit_class not in CLASSES:
            continue
        params = {"unit_id": unit_id, "year": year}
        key = f"assess-{scheme_id}-{unit_id}"
        form = rng.uniform(0.78, 1.08)  # how well the unit does this year

        def reading(indicator: str, period: str, effective: str, source: str, key: str = key,
                    params: dict[str, Any] = params, **value: Any) -> dict[str, Any]:
            return _row(f"{key}-{indicator}-{period}", "record_unit_assessment_reading", params, {
                "scheme_id": scheme_id, "indicator_id": indicator, "period": period, "effective_date": effective,
                "source": source, **value})

        done = 0.0
        for month in range(1, 13):  # cumulative: the year's share done by the month's end
            done = min(115.0, done + 100 * form / 12 * rng.uniform(0.7, 1.3))
            yield reading("key_tasks", f"{year}-{month:02d}", _month_end(year, month), "督查室月度调度",
                          value=f"{done:.1f}", target=targets["key_tasks"][unit_class])
        target_days = float(targets["handling_days"][unit_class])
        for quarter in range(1, 5):  # quarterly: the demo's first start stays quick
            days = target_days / form * rng.uniform(0.85, 1.25)
            yield reading("handling_days", f"{year}-Q{quarter}", _month_end(year, quarter * 3), "12345热线季报",
                          value=f"{days:.1f}", target=targets["handling_days"][unit_class])
        for quarter in range(1, 5):
            yield reading("projects", f"{year}-Q{quarter}", _month_end(year, quarter * 3), "重点项目季度实地察看",
                          value=f"{min(100.0, 88 * form + rng.uniform(-12, 8)):.0f}")
        level = "good" if form > 1.0 else "fairly_good" if form > 0.9 else "average" if form > 0.82 else "poor"
        yield reading("revitalisation", str(year), f"{year}-12-20", "市乡村振兴局年度考核", level=level)
        for quarter in range(1, 5):
            yield _row(f"{key}-routine-Q{quarter}", "record_unit_evaluation_score", params, {
                "scheme_id": scheme_id, "component_id": "routine", "evaluation": "routine",
                "period": f"{year}-Q{quarter}", "effective_date": _month_end(year, quarter * 3),
                "score": f"{min(100.0, 86 * form + rng.uniform(-5, 5)):.1f}", "source": "平时考核季度监测"})
    assessed = [u for u, c in units if c in CLASSES]
    breached = assessed[rng.randrange(len(assessed))]
    yield _row(f"assess-{scheme_id}-{breached}-safety", "record_unit_constraint_breach",
               {"unit_id": breached, "year": year}, {
                   "scheme_id": scheme_id, "indicator_id": "safety", "effective_date": f"{year}-08-14",
                   "note": "辖区内发生较大生产安全事故（示例）",
                   "basis": {"reason": "市安委会事故通报（示例）", "document": f"秦安委〔{year}〕21号"}})
    yield from _notices(scheme_id, assessed, year, seed)


def _notices(scheme_id: str, assessed: Sequence[str], year: int, seed: int) -> Iterator[dict[str, Any]]:
    """Two notices (通知单, 004) from the assessment office: one answered by its unit, one still open. From a
    ``random.Random`` of their own, so the rows before them do not change."""
    rng = random.Random(seed + 1)
    first, second = rng.sample(list(assessed), 2)
    answered_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    basis = {"reason": "二季度跟踪分析（示例）", "document": f"秦综考办〔{year}〕18号"}
    yield _row(f"assess-{scheme_id}-notice-{first}", "issue_unit_assessment_notice",
               {"unit_id": first, "year": year, "notice_id": answered_id}, {
                   "scheme_id": scheme_id, "indicator_id": "key_tasks", "period": f"{year}-06",
                   "effective_date": f"{year}-07-08", "note": "上半年重点工作任务进度滞后，请于15日内报送整改措施（示例）",
                   "basis": basis})
    yield _row(f"assess-{scheme_id}-notice-{first}-answer", "answer_unit_assessment_notice",
               {"unit_id": first, "year": year, "notice_id": answered_id}, {
                   "effective_date": f"{year}-07-20", "note": "已制定赶工计划，三季度末追上时序进度（示例）"})
    yield _row(f"assess-{scheme_id}-notice-{second}", "issue_unit_assessment_notice",
               {"unit_id": second, "year": year}, {
                   "scheme_id": scheme_id, "indicator_id": "projects", "period": f"{year}-Q4",
                   "effective_date": f"{year}-12-28", "note": "重点项目四季度实地察看发现进度偏慢，请报送说明（示例）",
                   "basis": basis})
