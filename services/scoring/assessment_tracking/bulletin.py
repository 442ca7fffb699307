"""A class's period bulletin (月/季度通报, 004): each data indicator against its target's schedule, against the
same period last year and against the class's peers; project checks of the period (quarterly on site, 004);
constraint breaches as they happened; the warning notices open during the period. Pure.

A period's reading is the one of the latest period within it (a quarter's bulletin reads its last month, as a
year-to-date figure). Peers: the class's subjects with a reading; the class average is exact until shown; rank 1
is the best in the indicator's direction and ties share a rank. A subject with no reading is listed as missing,
never counted as zero. Figures derived here are rounded as the scheme rounds (``schedule.shown``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from services.scoring.assessment.composite import EXACT
from services.scoring.assessment.read_model import InputRow
from services.scoring.assessment_tracking.periods import Period, parse_period
from services.scoring.assessment_tracking.readings import Standing, latest_within
from services.scoring.assessment_tracking.schedule import HUNDRED, judge, shown
from services.scoring.assessment_tracking.warning_notices import WarningNotice
from shared.assessment_scheme import AssessmentScheme, Indicator


@dataclass(frozen=True, slots=True)
class DataEntry:
    subject_id: str
    period: str  # the period read (the latest within the bulletin's)
    event_id: str
    value: str
    target: str | None
    scheduled: str | None
    progress: str | None  # % of the schedule
    behind: bool | None  # more than the margin short of the schedule; None: no margin or no target
    last_year: str | None
    change_on_last_year: str | None  # % change on the same period last year
    rank: int
    of: int


@dataclass(frozen=True, slots=True)
class DataLine:
    indicator_id: str
    name: str
    unit: str
    direction: str
    class_average: str | None
    entries: tuple[DataEntry, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProjectCheck:
    indicator_id: str
    subject_id: str
    period: str
    event_id: str
    value: str | None
    level: str | None
    source: str | None


@dataclass(frozen=True, slots=True)
class Breach:
    indicator_id: str
    subject_id: str
    effective_date: str
    event_id: str
    note: str


@dataclass(frozen=True, slots=True)
class Bulletin:
    scheme: str  # id@version in force at the period's end
    class_id: str
    period: str
    subjects: tuple[str, ...]
    data: tuple[DataLine, ...]
    projects: tuple[ProjectCheck, ...]
    breaches: tuple[Breach, ...]
    warning_notices: tuple[WarningNotice, ...]


def _counts(ind: Indicator, class_id: str, kind: str) -> bool:
    return ind.kind == kind and ind.weights.get(class_id, Decimal(0)) > 0


def _better(a: Decimal, b: Decimal, higher: bool) -> bool:
    return a > b if higher else a < b


def _data_line(scheme: AssessmentScheme, ind: Indicator, class_id: str, period: Period, subjects: Sequence[str],
               readings: Mapping[tuple[str, str], list[Standing]]) -> DataLine:
    got = {s: st for s in subjects if (st := latest_within(readings.get((s, ind.id), []), period)) is not None
           and st.value is not None}
    values = {s: st.value for s, st in got.items() if st.value is not None}
    higher = ind.direction == "higher_is_better"
    entries = []
    with localcontext(EXACT):
        average = sum(values.values(), Decimal(0)) / len(values) if values else None
        for s, st in sorted(got.items()):
            v = values[s]
            j = judge(scheme, ind, class_id, st.period, v, st.row.target)
            ly = st.last_year
            change = None if ly is None or ly == 0 else HUNDRED * (v - ly) / abs(ly)
            rank = 1 + sum(1 for o in values.values() if _better(o, v, higher))
            entries.append(DataEntry(s, st.period.text, st.row.event_id, st.row.value or "",
                                     shown(scheme, j.target) if j else None, shown(scheme, j.scheduled) if j else None,
                                     shown(scheme, j.progress) if j else None, j.behind if j else None,
                                     st.row.last_year, shown(scheme, change), rank, len(values)))
    return DataLine(ind.id, ind.name, ind.unit, ind.direction, shown(scheme, average), tuple(entries),
                    tuple(s for s in subjects if s not in got))


def bulletin(scheme: AssessmentScheme, class_id: str, period: Period, subjects: Sequence[str],
             readings: Mapping[tuple[str, str], list[Standing]], breaches: Sequence[InputRow],
             notices: Sequence[WarningNotice]) -> Bulletin:
    """The bulletin of ``class_id`` (its ``subjects``) for ``period`` under ``scheme``; ``breaches`` are those
    effective within the period, ``notices`` the year's (``warning_notices``)."""
    members = sorted(subjects)
    data = tuple(_data_line(scheme, ind, class_id, period, members, readings)
                 for ind in scheme.indicators if _counts(ind, class_id, "data"))
    projects = tuple(ProjectCheck(ind.id, s, st.period.text, st.row.event_id, st.row.value, st.row.level, st.row.source)
                     for ind in scheme.indicators if _counts(ind, class_id, "project") for s in members
                     for st in readings.get((s, ind.id), []) if period.holds(st.period))
    kinds = {ind.id: ind.kind for ind in scheme.indicators}
    mine = set(members)
    found = tuple(Breach(r.item_id or "", r.subject_id, r.effective_date.isoformat() if r.effective_date else "",
                         r.event_id, r.note or "")
                  for r in breaches if r.subject_id in mine and kinds.get(r.item_id or "") == "constraint")
    open_during = tuple(n for n in notices if n.subject_id in mine and _raised_by(n, period)
                        and (n.closed is None or not _closed_before(n, period)))
    return Bulletin(scheme.name, class_id, period.text, tuple(members), data, projects, found, open_during)


def _raised_by(n: WarningNotice, period: Period) -> bool:
    return parse_period(n.raised.period).end <= period.end


def _closed_before(n: WarningNotice, period: Period) -> bool:
    return n.closed is not None and parse_period(n.closed.period).end < period.start
