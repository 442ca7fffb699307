"""Finding cadres and what waits (issue 15): a page of the cadre list of a jurisdiction, and a page of the
caller's tasks. Both carry names and unit names, so a front end needs no call per row."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from shared.answers.base import ID, RECORDED_AT, Answer, example
from shared.events import Leadership

NEXT = Field(description="the cursor of the next page (pass it as `cursor`); null on the last")
_POST = {"post_id": "5d0c7a52-3b7e-4c8e-9d55-0f3f1e2a9b61", "unit_id": "qhd-haigang-fgw", "unit_name": "海港区发改局",
         "position": "局长", "leadership": "chief", "start_date": "2021-03-01"}


class OpenPost(Answer):
    post_id: uuid.UUID
    unit_id: str
    unit_name: str | None
    position: str | None = Field(description="the post's title (职务)")
    leadership: Leadership
    start_date: dt.date


class ListedCadre(Answer):
    cadre_id: uuid.UUID
    name: str
    unit_id: str = Field(description="the unit the cadre was registered in")
    unit_name: str | None
    posts: list[OpenPost] = Field(description="the posts held today")


class CadreList(Answer):
    model_config = example({"cadres": [{"cadre_id": ID, "name": "张伟", "unit_id": "qhd-haigang-fgw",
                                        "unit_name": "海港区发改局", "posts": [_POST]}],
                            "next": "WyLlvKDkvJ8iLCAiYzc0YzA2ZjMiXQ=="})
    cadres: list[ListedCadre] = Field(description="by name, then id")
    next: str | None = NEXT


class Task(Answer):
    task: Literal["endorse_report", "verify_achievement", "decide_appeal"]
    cadre_id: uuid.UUID
    name: str
    unit_id: str
    unit_name: str | None
    subject_id: str = Field(description="the report's period, the achievement's or the appeal's id")
    title: str | None = Field(description="the achievement's title; for an appeal, the id of the entry appealed")
    since: dt.datetime = Field(description="when it began to wait (submitted, claimed, filed)")
    action: str = Field(description="the path (under /api/v1) of the write that settles it")


class Tasks(Answer):
    model_config = example({"tasks": [{
        "task": "endorse_report", "cadre_id": ID, "name": "张伟", "unit_id": "qhd-haigang-fgw",
        "unit_name": "海港区发改局", "subject_id": "2026-Q3", "title": None, "since": RECORDED_AT,
        "action": f"/cadres/{ID}/quarterly-reports/2026-Q3/endorsement"}], "next": None})
    tasks: list[Task] = Field(description="oldest first")
    next: str | None = NEXT
