"""The workbooks of the list reads: for each, the Chinese column headers and how an answer becomes rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.documents.labels import BAND, LEVEL, OUTCOME, STATUS, VERDICT
from shared.documents.xlsx import Column, Table


def _screening_rows(answer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for cadre_id in answer["eligible"]:
        yield {"cadre_id": cadre_id, "verdict": "eligible", "reasons": None}
    for row in answer["ineligible"]:
        yield {"cadre_id": row["cadre_id"], "verdict": "ineligible", "reasons": row["excluded_by"]}
    for row in answer["undetermined"]:
        yield {"cadre_id": row["cadre_id"], "verdict": "undetermined", "reasons": row["unknown"]}


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
