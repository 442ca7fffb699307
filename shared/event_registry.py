"""The registry of the dossier's events: which stored ``event_type`` is which model of ``shared.events``,
and the upcasters that lift stored JSON of an old ``schema_version`` to the current model.

An upcaster is a pure dict -> dict function registered per (type, version); each is tested against
stored JSON of the old version (``tests/unit/test_event_contract.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared import events as e
from shared.events import DomainEvent


def _entry_recorded_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 (the walking skeleton) had no impact period."""
    return {**data, "impact_period": None}


def _cadre_registered_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v1 had no birth date."""
    return {**data, "birth_date": None}


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.event_type: cls
    for cls in (
        e.CadreRegistered, e.BasicsRecorded, e.PostAssigned, e.PostEnded, e.SelfEvaluationWritten,
        e.AchievementClaimed, e.AchievementVerified, e.AchievementRejected, e.QuarterlyReportSaved,
        e.QuarterlyReportSubmitted, e.QuarterlyReportEndorsed, e.QuarterlyReportReturned, e.EntryRecorded,
        e.EntryAmended, e.EntryRevoked, e.AppealFiled, e.AppealDecided, e.AnnualGradeRecorded,
        e.AppraisalLevelRecorded, e.DemocraticEvaluationRecorded, e.AssessmentScoresRecorded,
        e.IntegrityVetoRecorded, e.DeclarationRecorded, e.UnitRegistered, e.TeamGradeRecorded,
        e.TargetEvaluationRecorded, e.CategoryDefined,
        e.AssessmentSchemePublished, e.IndicatorReadingRecorded, e.EvaluationScoreRecorded,
        e.ConstraintBreachRecorded, e.AssessmentInputRevoked, e.AssessmentGradeDecided,
        e.EducationRecorded, e.ExpertiseRecorded, e.ExternalResultRecorded, e.ExternalResultRevoked,
        e.AssessmentNoticeIssued, e.AssessmentNoticeAnswered,
        e.RectificationReportFiled,
    )
}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
# (event_type, from_version) -> function producing the data of from_version + 1.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("entry_recorded", 1): _entry_recorded_v1_to_v2,
    ("cadre_registered", 1): _cadre_registered_v1_to_v2,
}


class UnknownEventType(ValueError):
    pass


def upcast(event_type: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
    """Lift stored data of an old schema version to the current one, step by step."""
    try:
        current = EVENT_TYPES[event_type].schema_version
    except KeyError:
        raise UnknownEventType(event_type) from None
    if schema_version > current:
        raise UnknownEventType(f"{event_type} v{schema_version} is newer than this build (v{current})")
    while schema_version < current:
        data = UPCASTERS[(event_type, schema_version)](data)
        schema_version += 1
    return data


def to_data(event: DomainEvent) -> dict[str, Any]:
    return event.model_dump(mode="json")


def from_data(event_type: str, schema_version: int, data: dict[str, Any]) -> DomainEvent:
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEventType(event_type)
    return cls.model_validate(upcast(event_type, schema_version, data))
