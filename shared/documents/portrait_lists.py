"""The workbook of the condition search (issue 20): one row a cadre, the columns a clerk filters by."""

from __future__ import annotations

from shared.documents.labels import LEADERSHIP, VERDICT
from shared.documents.xlsx import Column, Table

CADRE_SEARCH = Table("条件检索", (
    Column("name", "姓名"), Column("unit_id", "单位"), Column("unit_class", "单位类别"), Column("position", "职务"),
    Column("leadership", "正副职", names=LEADERSHIP), Column("age", "年龄", "number"), Column("rank", "职级"),
    Column("years_at_rank", "任现职级年限", "number"), Column("highest_level", "最高学历"), Column("majors", "专业"),
    Column("professional_field", "专业领域"), Column("familiar_fields", "熟悉领域"),
    Column("total", "近三年动态积分", "number"), Column("screening", "初筛结论", names=VERDICT),
    Column("tags", "两头标注"), Column("cadre_id", "干部编号")), lambda a: a["cadres"])
