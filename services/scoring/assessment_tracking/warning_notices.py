"""Warning notices (预警通知单, 004: 26 in a year): raised when a data reading falls behind its target's schedule
by more than the scheme's margin, closed when a later reading of the indicator is back within it. Pure.

A notice is a fact derived from the readings that stand, not a record of its own: walking each subject's
indicator period by period, the first period behind raises it and the first later period within the margin
closes it. Its id is made from (scheme, year, subject, indicator, period raised), so the same readings give the
same notices with the same ids however often the events are delivered or the projection rebuilt, and a notice
is raised once. Each period is judged under the scheme version in force at its end (a target added mid-year,
004, counts from its version); a version without ``tracking`` raises nothing. ``known_at`` reproduces the
notices as they stood.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.scoring.assessment_tracking.readings import Standing
from services.scoring.assessment_tracking.schedule import Judged, judge, shown
from shared.assessment_scheme import AssessmentScheme, in_force

_NAMESPACE = uuid.UUID("5b1f6a52-3c4e-4f0e-9a55-7d1d0c3e2a16")  # of warning notices' ids, fixed for ever


@dataclass(frozen=True, slots=True)
class Step:
    """The reading that raised or closed a notice, as judged."""

    period: str
    event_id: str
    value: str
    target: str
    scheduled: str
    progress: str
    shortfall: str
    margin: str
    scheme: str  # id@version that judged it


@dataclass(frozen=True, slots=True)
class WarningNotice:
    notice_id: str
    scheme_id: str
    year: int
    subject_id: str
    class_id: str
    indicator_id: str
    status: str  # open | closed
    raised: Step
    closed: Step | None


def notice_id(scheme_id: str, year: int, subject_id: str, indicator_id: str, period: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{scheme_id}/{year}/{subject_id}/{indicator_id}/{period}"))


def _step(scheme: AssessmentScheme, s: Standing, j: Judged) -> Step:
    margin = scheme.tracking.warning_margin if scheme.tracking else None
    return Step(s.period.text, s.row.event_id, s.row.value or "", shown(scheme, j.target) or "",
                shown(scheme, j.scheduled) or "", shown(scheme, j.progress) or "", shown(scheme, j.shortfall) or "",
                format(margin, "f") if margin is not None else "", scheme.name)


def warning_notices(versions: Sequence[AssessmentScheme], year: int, readings: Mapping[tuple[str, str], list[Standing]],
                    classes: Mapping[str, str]) -> list[WarningNotice]:
    """Every notice of the year's readings (``standing_readings``) of the subjects in ``classes`` (subject →
    class), by subject, indicator and period raised."""
    out: list[WarningNotice] = []
    for (subject, indicator), seq in sorted(readings.items()):
        class_id = classes.get(subject)
        if class_id is None:
            continue
        raised: Step | None = None
        for s in seq:
            scheme = in_force(versions, s.period.end)
            ind = next((i for i in scheme.indicators if i.id == indicator), None) if scheme else None
            value = s.value
            if scheme is None or scheme.tracking is None or ind is None or ind.kind != "data" or value is None \
                    or s.period.year != year:
                continue
            judged = judge(scheme, ind, class_id, s.period, value, s.row.target)
            if judged is None:
                continue
            if judged.behind and raised is None:
                raised = _step(scheme, s, judged)
            elif not judged.behind and raised is not None:
                out.append(WarningNotice(notice_id(scheme.id, year, subject, indicator, raised.period), scheme.id, year,
                                         subject, class_id, indicator, "closed", raised, _step(scheme, s, judged)))
                raised = None
        if raised is not None:
            scheme_id = raised.scheme.rsplit("@", 1)[0]
            out.append(WarningNotice(notice_id(scheme_id, year, subject, indicator, raised.period), scheme_id, year,
                                     subject, class_id, indicator, "open", raised, None))
    return out
