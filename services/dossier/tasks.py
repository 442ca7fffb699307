"""What waits for someone (待办): the task directory's rows, kept in the transaction of the events that open
and close them (issue 15).

- ``endorse_report``: a quarterly report submitted, until its superior endorses or returns it;
- ``verify_achievement``: an achievement claimed, until its superior verifies or rejects it;
- ``decide_appeal``: an appeal filed, until the organization department decides it.

The domain's own states say the same (``reports.submit_report`` .. ``endorse_report``, ``achievements``,
``entries.decide_appeal``); the directory only indexes them, so that a leader's or a clerk's list is a query,
not a fold of every stream.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete

from services.dossier.tables import task_directory
from shared.events import (
    AchievementClaimed,
    AchievementRejected,
    AchievementVerified,
    AppealDecided,
    AppealFiled,
    DomainEvent,
    QuarterlyReportEndorsed,
    QuarterlyReportReturned,
    QuarterlyReportSubmitted,
)

ENDORSE_REPORT, VERIFY_ACHIEVEMENT, DECIDE_APPEAL = "endorse_report", "verify_achievement", "decide_appeal"
SUPERIOR_TASKS = (ENDORSE_REPORT, VERIFY_ACHIEVEMENT)
CLERK_TASKS = (DECIDE_APPEAL,)


def task_id(task: str, cadre_id: str, subject_id: str) -> str:
    return f"{task}:{cadre_id}:{subject_id}"


def _open(task: str, cadre_id: str, subject_id: str, title: str | None, since: dt.datetime | None) -> Any:
    return task_directory.insert().values(task_id=task_id(task, cadre_id, subject_id), task=task, cadre_id=cadre_id,
                                          subject_id=subject_id, title=title, since=since or dt.datetime.now(dt.UTC))


def _close(task: str, cadre_id: str, subject_id: str) -> Any:
    return delete(task_directory).where(task_directory.c.task_id == task_id(task, cadre_id, subject_id))


def statements(stream_id: str, event: DomainEvent, recorded_at: dt.datetime | None) -> list[Any]:
    """The task rows ``event`` (of the cadre stream ``stream_id``) opens or closes."""
    match event:
        case QuarterlyReportSubmitted():
            return [_open(ENDORSE_REPORT, stream_id, event.period, None, recorded_at)]
        case QuarterlyReportEndorsed() | QuarterlyReportReturned():
            return [_close(ENDORSE_REPORT, stream_id, event.period)]
        case AchievementClaimed():
            return [_open(VERIFY_ACHIEVEMENT, stream_id, event.achievement_id, event.title, recorded_at)]
        case AchievementVerified() | AchievementRejected():
            return [_close(VERIFY_ACHIEVEMENT, stream_id, event.achievement_id)]
        case AppealFiled():
            return [_open(DECIDE_APPEAL, stream_id, event.appeal_id, event.entry_id, recorded_at)]
        case AppealDecided():
            return [_close(DECIDE_APPEAL, stream_id, event.appeal_id)]
    return []


def action_path(task: str, cadre_id: str, subject_id: str) -> str:
    """The public path (under /api/v1) of the write that settles the task."""
    return {ENDORSE_REPORT: f"/cadres/{cadre_id}/quarterly-reports/{subject_id}/endorsement",
            VERIFY_ACHIEVEMENT: f"/cadres/{cadre_id}/achievements/{subject_id}/verification",
            DECIDE_APPEAL: f"/cadres/{cadre_id}/appeals/{subject_id}/decision"}[task]
