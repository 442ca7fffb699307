"""What scoring publishes of the annual assessment's consequences (综合考评, issue 16, step 5), for other systems.

``shiji.scoring.assessment_consequences.v1``, key = the assessed subject (a unit id or a cadre id): every
consequence a decided grade entails (谈话提醒, 诫勉谈话, 降职, 不得提拔, 整改报告, 组织调整, 表彰 …) as it is
``raised``, ``withdrawn`` (a later decision no longer entails it) and, for a rectification report, ``filed``.
CloudEvents 1.0 JSON (``shared.scoring_topics.structured``), type ``cn.shiji.scoring.assessment_consequence.v1``.

The id is a UUID 5 of the type, the cause and ``data``, as on the other scoring topics: the cause is the
occurrence of the consequence's ``key`` (the how-many-th time this subject's year entailed it), so the same
change made again (a redelivery, a rebuild that took the consequences over) has the same id, and a
consequence raised, withdrawn and raised again is two occurrences: four distinct ids. The messages are made
once, in the transaction that makes the change, and stored in scoring's outbox.

Not compacted: a subject has several consequences a year, each with its changes; the record is
``GET /api/v1/assessments/{scheme_id}/consequences``, which a system that subscribes late reads once.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CONSEQUENCES_TOPIC = "shiji.scoring.assessment_consequences.v1"
MESSAGE_NAME = "assessment_consequence"


class AssessmentConsequenceChanged(BaseModel):
    """A consequence of a decided assessment grade raised, withdrawn or (a rectification report) filed (type
    ``cn.shiji.scoring.assessment_consequence.v1``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject_id: str = Field(description="the assessed unit, team (its unit) or cadre: the Kafka key")
    subject_kind: Literal["unit", "team", "cadre"]
    scheme_id: str
    year: int
    key: str = Field(description="rule:scheme:year:subject, one consequence of the subject's year")
    rule: str = Field(description="the rule entailing it (services/scoring/assessment/consequences.py)")
    source: str = Field(description="the article it comes from (001, 004)")
    action: str = Field(description="reminder_talk, admonishment_talk, demotion, promotion_barred, "
                                    "rectification_report, head_post_review, commendation, "
                                    "written_report_and_rectification")
    bearer_id: str = Field(description="who bears it: the subject, or the head of the unit or team")
    status: Literal["raised", "withdrawn", "filed"]
    on: dt.date
    grade: str = Field(description="the decided grade it follows from")
    composite: str | None = Field(description="the calculated composite as of the year's end, when there is one")
    evidence: list[str] = Field(description="the events it rests on: the decision and what the rule read")
    message: str
