"""The workbooks of the list reads: for each, the Chinese column headers and how an answer becomes rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.documents.labels import (
    ASSESSMENT_GRADE,
    BAND,
    LEADERSHIP,
    LEVEL,
    OUTCOME,
    RESULT_STATUS,
    STATUS,
    TASK,
    VERDICT,
    name_of,
)
from shared.documents.xlsx import Column, Table


def _screening_rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """One row a cadre, in the list's order (the cadre number, as scoring lists them): a page's rows follow the
    previous page's, so a workbook read page by page is the same whatever the page size."""
    rows = ([{"cadre_id": c, "verdict": "eligible", "reasons": None} for c in answer["eligible"]]
            + [{"cadre_id": r["cadre_id"], "verdict": "ineligible", "reasons": r["excluded_by"]}
               for r in answer["ineligible"]]
            + [{"cadre_id": r["cadre_id"], "verdict": "undetermined", "reasons": r["unknown"]}
               for r in answer["undetermined"]])
    return sorted(rows, key=lambda row: row["cadre_id"])


def _post(post: dict[str, Any]) -> str:
    """A post held, as a list prints it: 海港区发改局 局长（正职）."""
    title = " ".join(filter(None, [post["unit_name"] or post["unit_id"], post["position"]]))
    return f"{title}（{name_of(LEADERSHIP, post['leadership'])}）"


def _cadre_rows(answer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for cadre in answer["cadres"]:
        posts = cadre["posts"]
        yield {**cadre, "posts": [_post(p) for p in posts], "since": min((p["start_date"] for p in posts), default=None)}


def _result_rows(answer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for line in answer["results"]:
        decided = line.get("decided") or {}
        yield {**line, "decided": decided.get("grade"), "decided_at": decided.get("recorded_at")}


UNITS = Table("单位", (Column("unit_id", "单位编码"), Column("name", "单位名称"), Column("parent_id", "上级单位"),
                       Column("level", "层级"), Column("unit_class", "类别")), lambda a: a["units"])
SCREENINGS = Table("选拔初筛", (Column("cadre_id", "干部编号"), Column("verdict", "初筛结论", names=VERDICT),
                             Column("reasons", "不符合或待定的规则")), _screening_rows)
RANKINGS = Table("排名", (Column("rank", "名次", "number"), Column("name", "姓名"), Column("unit_id", "单位"),
                        Column("total", "动态积分", "number"), Column("band", "两头", names=BAND),
                        Column("cadre_id", "干部编号")), lambda a: a["ranking"])
WARNINGS = Table("预警", (Column("cadre_id", "干部编号"), Column("kind", "预警类型"), Column("level", "预警等级", names=LEVEL),
                        Column("detail", "说明"), Column("raised_on", "预警日期", "date"),
                        Column("cleared_on", "解除日期", "date"), Column("status", "状态", names=STATUS),
                        Column("rule_set", "规则集"), Column("key", "预警键")), lambda a: a["warnings"])
ACCESS_LOG = Table("访问日志", (Column("seq", "序号", "number"), Column("recorded_at", "时间（UTC）", "datetime"),
                            Column("subject", "用户"), Column("role", "角色"), Column("unit", "所在单位"),
                            Column("client", "来源地址"), Column("method", "方法"), Column("path", "路径"),
                            Column("query", "查询参数"), Column("action", "操作"), Column("cadre_id", "干部编号"),
                            Column("status", "状态码", "number"), Column("outcome", "结果", names=OUTCOME),
                            Column("request_id", "请求编号"), Column("hash", "链哈希")), lambda a: a["entries"])
CADRES = Table("干部", (Column("name", "姓名"), Column("unit_name", "所在单位"), Column("unit_id", "单位编码"),
                        Column("posts", "现任职务"), Column("since", "任现职时间", "date"),
                        Column("cadre_id", "干部编号")), _cadre_rows)
TASKS = Table("待办", (Column("task", "待办事项", names=TASK), Column("name", "姓名"), Column("unit_name", "单位"),
                     Column("subject_id", "期间或编号"), Column("title", "标题"), Column("since", "等待起始（UTC）", "datetime"),
                     Column("cadre_id", "干部编号"), Column("action", "办理接口")), lambda a: a["tasks"])
ASSESSMENT_RESULTS = Table("考评结果", (
    Column("subject_id", "考评对象"), Column("class_id", "类别"), Column("status", "状态", names=RESULT_STATUS),
    Column("composite", "综合得分", "number"), Column("rank", "类内名次", "number"), Column("of", "类内总数", "number"),
    Column("band", "两头", names=BAND), Column("calculated", "得分对应等次", names=ASSESSMENT_GRADE),
    Column("proposed", "建议等次", names=ASSESSMENT_GRADE), Column("decided", "决定等次", names=ASSESSMENT_GRADE),
    Column("decided_at", "决定时间（UTC）", "datetime")), _result_rows)
