"""Quarterly reports (季度纪实): the cadre writes and submits, the superior endorses or returns."""

from __future__ import annotations

from services.dossier.domain.state import (
    Context,
    Dossier,
    QuarterlyReport,
    require_cadre,
    require_self,
    require_superior,
)
from services.dossier.errors import AlreadyDone, DomainError, NotFound
from shared import commands as c
from shared.calendar import Quarter
from shared.events import (
    DomainEvent,
    QuarterlyReportEndorsed,
    QuarterlyReportReturned,
    QuarterlyReportSaved,
    QuarterlyReportSubmitted,
)


def _period(period: str, ctx: Context) -> Quarter:
    try:
        quarter = Quarter.parse(period)
    except ValueError as exc:
        raise DomainError(str(exc), field="period", rule="quarter_format") from None
    if quarter.first_day > ctx.today:
        raise DomainError(f"quarter {period} has not begun", field="period", rule="quarter_begun")
    return quarter


def _report(state: Dossier, period: str) -> QuarterlyReport:
    report = state.reports.get(period)
    if report is None:
        raise NotFound(f"no quarterly report for {period}", field="period", rule="report_exists")
    return report


def save_report(state: Dossier, period: str, cmd: c.SaveQuarterlyReport, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    _period(period, ctx)
    require_self(state, ctx, "write their quarterly report")
    report = state.reports.get(period)
    if report is not None and report.status in ("submitted", "endorsed"):
        raise AlreadyDone(f"the {period} report is {report.status}: it cannot be edited", field="period",
                          rule="report_editable")
    return [QuarterlyReportSaved(period=period, **cmd.model_dump())]


def submit_report(state: Dossier, period: str, ctx: Context) -> list[DomainEvent]:
    require_cadre(state)
    _period(period, ctx)
    require_self(state, ctx, "submit their quarterly report")
    report = _report(state, period)
    if report.status not in ("draft", "returned"):
        raise AlreadyDone(f"the {period} report is {report.status}", field="period", rule="report_submittable")
    return [QuarterlyReportSubmitted(period=period)]


def _submitted_report_for_superior(state: Dossier, period: str, ctx: Context, what: str) -> None:
    require_cadre(state)
    report = _report(state, period)
    require_superior(state, ctx, what)
    if report.status != "submitted":
        raise AlreadyDone(f"the {period} report is {report.status}, not submitted", field="period",
                          rule="report_submitted")


def endorse_report(state: Dossier, period: str, cmd: c.EndorseQuarterlyReport, ctx: Context) -> list[DomainEvent]:
    _submitted_report_for_superior(state, period, ctx, "endorse a quarterly report")
    return [QuarterlyReportEndorsed(period=period, comment=cmd.comment)]


def return_report(state: Dossier, period: str, cmd: c.ReturnQuarterlyReport, ctx: Context) -> list[DomainEvent]:
    _submitted_report_for_superior(state, period, ctx, "return a quarterly report")
    return [QuarterlyReportReturned(period=period, comment=cmd.comment)]
