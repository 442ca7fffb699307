"""Answers of the printable documents and the import's template: the annual assessment's registration form
(年度考核登记表) as data, a printed hash checked against the store, and the columns of an import template."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from shared.answers.base import HASH, ID, KNOWN_AT, RECORDED_AT, Answer, example
from shared.answers.cadres import Basics, Post, YearAssessment

_YEAR = {"year": 2025, "annual_grade": "competent", "appraisal_level": "good", "mass_satisfaction": 92,
         "political_quality": 95, "democratic_evaluation": {"superiors": {"excellent": 12, "competent": 30}},
         "vetoes": []}


class FormComponent(Answer):
    component_id: str
    name: str = Field(description="as the form prints it (民主测评, 平时考核 …; the id where it has no name)")
    weight: str
    score: str | None
    contribution: str | None
    status: str


class FormComposite(Answer):
    """The cadre's result under a comprehensive assessment scheme (issue 16), as scoring explains it."""

    scheme_id: str
    version: int
    status: str = Field(description="complete, or blocked (a required input is missing)")
    composite: str | None
    calculated: str | None = Field(description="the grade the composite reaches")
    proposed: str | None = Field(description="the grade proposed after every rule")
    components: list[FormComponent]


class AssessmentForm(Answer):
    model_config = example({
        "cadre_id": ID, "year": 2025, "known_at": KNOWN_AT, "version": 25, "hash": HASH,
        "basics": {"name": "张伟", "unit_id": "qhd-haigang-fgw", "birth_date": "1980-05-01", "gender": "男"},
        "unit_name": "海港区发展和改革局",
        "post": {"post_id": "e476ce79-ce4c-4ba9-890f-fb92fe7d89ce", "unit_id": "qhd-haigang-fgw", "position": "副局长",
                 "rank": "正处级", "leadership": "deputy", "start_date": "2025-01-01", "end_date": None,
                 "years_in_post": 1},
        "summary": "勤勉尽责，敢于担当", "assessment": _YEAR})
    cadre_id: uuid.UUID
    year: int
    known_at: dt.datetime
    version: int = Field(description="the cadre's stream version the form is made from")
    hash: str | None = Field(description="the chain hash of that version, printed in the form's footer")
    basics: Basics = Field(description="the particulars, as the dossier has them")
    unit_name: str | None
    post: Post | None = Field(description="the post held (the last one, when none is open)")
    summary: str | None = Field(description="the self-evaluation and the year's filed quarterly reports")
    assessment: YearAssessment | None = Field(description="the year's grade, level, tallies and scores, if recorded")
    composite: FormComposite | None = Field(None, description="with `scheme`: the composite and its components "
                                                              "(democratic evaluation, routine scores …)")


class PrintedHash(Answer):
    model_config = example({"cadre_id": ID, "hash": HASH, "matches": True, "version": 25, "recorded_at": RECORDED_AT,
                            "current_version": 27, "current": False})
    cadre_id: uuid.UUID
    hash: str
    matches: bool = Field(description="whether the hash is one of this cadre's record versions")
    version: int | None = Field(description="the version it seals, when it matches")
    recorded_at: dt.datetime | None = Field(description="when that version was recorded")
    current_version: int
    current: bool = Field(description="whether it seals the record as it stands now")


class TemplateColumn(Answer):
    name: str = Field(description="the column's header, as the CSV and the workbook have it")
    required: bool
    values: list[str] | None = Field(description="the closed set of values it takes, if any")
    example: str | None


class ImportTemplate(Answer):
    model_config = example({"operation": "record_entry", "columns": [
        {"name": "row_key", "required": False, "values": None, "example": "2026-q3-0001"},
        {"name": "kind", "required": True, "values": ["achievement", "positive", "negative"], "example": "positive"}]})
    operation: str
    columns: list[TemplateColumn]
