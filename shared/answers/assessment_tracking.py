"""What the assessment's tracking reads answer (issue 16 step 6): a period's bulletins per class and the year's
warning notices (预警通知单). Numbers are decimal strings rounded as the scheme rounds (a reading as recorded)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from shared.answers.base import Answer, example

Num = str | None
_EV = "5f0c1e7a-5a0e-4a43-9c55-1c4f8b7d2e10"
_STEP = {"period": "2025-02", "event_id": _EV, "value": "170", "target": "1200.00", "scheduled": "200.00",
         "progress": "85.00", "shortfall": "15.00", "margin": "10", "scheme": "district-2025@1"}
_NOTICE = {"notice_id": "8a3c5f0e-6f55-5a1e-9d8c-2f0e3b4a1c77", "scheme_id": "district-2025", "year": 2025,
           "subject_id": "qhd-haigang", "class_id": "economic_development", "indicator_id": "revenue",
           "status": "open", "raised": _STEP, "closed": None}


class NoticeStep(Answer):
    period: str
    event_id: str = Field(description="the reading judged")
    value: str
    target: str
    scheduled: str = Field(description="the target × the share of the year elapsed (or the whole target)")
    progress: str = Field(description="% of the schedule")
    shortfall: str = Field(description="percentage points short of the schedule (negative: ahead)")
    margin: str
    scheme: str = Field(description="the version in force at the period's end (id@version)")


class WarningNotice(Answer):
    notice_id: str = Field(description="made from scheme, year, subject, indicator and period raised: stable")
    scheme_id: str
    year: int
    subject_id: str
    class_id: str
    indicator_id: str
    status: Literal["open", "closed"]
    raised: NoticeStep
    closed: NoticeStep | None = Field(description="the first later reading back within the margin")


class WarningNotices(Answer):
    model_config = example({"scheme_id": "district-2025", "year": 2025, "as_of": "2025-12-31",
                            "known_at": "2026-12-06T05:00:00+00:00", "status": "all", "class": None,
                            "notices": [_NOTICE]})
    scheme_id: str
    year: int
    as_of: dt.date
    known_at: dt.datetime
    status: Literal["open", "closed", "all"]
    class_: str | None = Field(alias="class")
    notices: list[WarningNotice]


class DataEntry(Answer):
    subject_id: str
    period: str = Field(description="the period read: the latest within the bulletin's")
    event_id: str
    value: str
    target: Num
    scheduled: Num
    progress: Num = Field(description="% of the schedule")
    behind: bool | None = Field(description="more than the scheme's margin short of the schedule")
    last_year: Num = Field(description="the same period last year")
    change_on_last_year: Num = Field(description="% change on the same period last year")
    rank: int = Field(description="in the class, 1 the best in the indicator's direction; ties share")
    of: int


class DataLine(Answer):
    indicator_id: str
    name: str
    unit: str
    direction: Literal["higher_is_better", "lower_is_better"]
    class_average: Num
    entries: list[DataEntry]
    missing: list[str] = Field(description="subjects of the class with no reading in the period")


class ProjectCheck(Answer):
    indicator_id: str
    subject_id: str
    period: str
    event_id: str
    value: Num
    level: Num
    source: Num


class Breach(Answer):
    indicator_id: str
    subject_id: str
    effective_date: str
    event_id: str
    note: str


class ClassBulletin(Answer):
    scheme: str
    class_id: str
    period: str
    subjects: list[str]
    data: list[DataLine]
    projects: list[ProjectCheck] = Field(description="project checks of the period (quarterly on site, 004)")
    breaches: list[Breach] = Field(description="constraint breaches effective in the period, as they happened")
    warning_notices: list[WarningNotice] = Field(description="the warning notices open during the period")


class Bulletins(Answer):
    model_config = example({"scheme_id": "district-2025", "version": 1, "year": 2025, "period": "2025-Q1",
                            "as_of": "2025-03-31", "known_at": "2026-12-06T05:00:00+00:00", "bulletins": [
                                {"scheme": "district-2025@1", "class_id": "economic_development", "period": "2025-Q1",
                                 "subjects": ["qhd-haigang"], "data": [
                                     {"indicator_id": "revenue", "name": "财政收入", "unit": "亿元",
                                      "direction": "higher_is_better", "class_average": "260.00", "entries": [
                                          {"subject_id": "qhd-haigang", "period": "2025-03", "event_id": _EV,
                                           "value": "260", "target": "1200.00", "scheduled": "300.00",
                                           "progress": "86.67", "behind": True, "last_year": "240",
                                           "change_on_last_year": "8.33", "rank": 1, "of": 1}], "missing": []}],
                                 "projects": [], "breaches": [], "warning_notices": [_NOTICE]}]})
    scheme_id: str
    version: int = Field(description="the version in force at the period's end (or as_of, if earlier)")
    year: int
    period: str
    as_of: dt.date
    known_at: dt.datetime
    bulletins: list[ClassBulletin]
