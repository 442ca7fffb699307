"""What a proposed grade entails, as data: who, what, by which rule, on which evidence. Pure; nothing here
sends a talk invitation or bars anyone, the application layer records and routes these.

- ``composite_80_or_below_reminder_talk`` (001): a cadre whose composite (as rounded by the scheme) is 80 or
  below (80分以下 includes 80) gets a reminder talk (谈话提醒).
- ``excellent_commendation`` (001): 优秀 → commendation and priority for promotion.
- ``basically_competent_admonishment`` (001, 004): 基本称职 → admonishment talk (诫勉谈话) and rectification.
- ``incompetent_demotion`` (001): 不称职 → demoted one post or rank; ``incompetent_admonishment`` (004).
- ``team_average_report`` (001): team 一般 → a written report and rectification;
  ``team_average_head_not_promoted`` (001): its principal head is not promoted that year.
- ``unit_fail_rectification_report`` (004): 不达标 → a written rectification report owed;
  ``unit_fail_head_admonishment`` (004): an admonishment talk for its head.
- ``unit_fail_two_years_head_review`` (004): 不达标 two years running → the head is publicly reprimanded or
  moved (组织调整): the head's post is to be reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.scoring.assessment.inputs import GradeFacts
from services.scoring.assessment.proposal import Proposal

REMINDER_TALK_AT_OR_BELOW = Decimal(80)


@dataclass(frozen=True, slots=True)
class Consequence:
    rule: str
    source: str
    subject_id: str  # who bears it: the subject, or the head of a unit or team
    action: str
    year: int
    event_ids: tuple[str, ...]
    message: str


def consequences(p: Proposal, facts: GradeFacts | None = None) -> list[Consequence]:
    f = facts or GradeFacts(p.subject_id)
    out: list[Consequence] = []
    head = f.head_id or p.subject_id
    head_note = "" if f.head_id else " (its head is not recorded: the unit stands for them)"

    def add(rule: str, source: str, who: str, action: str, message: str, events: tuple[str, ...] = p.evidence) -> None:
        out.append(Consequence(rule, source, who, action, p.year, events, message))

    if p.subject_kind == "cadre":
        if p.composite is not None and p.composite <= REMINDER_TALK_AT_OR_BELOW:
            add("composite_80_or_below_reminder_talk", "001", p.subject_id, "reminder_talk",
                f"composite {p.composite} is 80 or below: a reminder talk (谈话提醒)")
        if p.proposed == "excellent":
            add("excellent_commendation", "001", p.subject_id, "commendation", "优秀: commendation, priority for promotion")
        if p.proposed == "basically_competent":
            add("basically_competent_admonishment", "001", p.subject_id, "admonishment_talk",
                "基本称职: admonishment talk (诫勉谈话) and rectification within a time limit")
        if p.proposed == "incompetent":
            add("incompetent_demotion", "001", p.subject_id, "demotion", "不称职: demoted one post or rank")
            add("incompetent_admonishment", "004", p.subject_id, "admonishment_talk", "不称职: admonishment talk")
    if p.subject_kind == "team":
        if p.proposed == "excellent":
            add("excellent_commendation", "001", p.subject_id, "commendation", "优秀: commendation")
        if p.proposed == "average":
            add("team_average_report", "001", p.subject_id, "written_report_and_rectification",
                "team 一般: a written report to the party committee and rectification")
            add("team_average_head_not_promoted", "001", head, "promotion_barred",
                f"team 一般: its principal head may not be promoted in {p.year + 1}{head_note}")
    if p.subject_kind == "unit" and p.proposed == "fail":
        add("unit_fail_rectification_report", "004", p.subject_id, "rectification_report",
            "不达标: a written rectification report to the city committee and government is owed")
        add("unit_fail_head_admonishment", "004", head, "admonishment_talk",
            f"不达标: an admonishment talk for the unit's head{head_note}")
        if f.prior_grade == "fail":
            add("unit_fail_two_years_head_review", "004", head, "head_post_review",
                f"不达标 in {p.year - 1} and {p.year}: the head is publicly reprimanded or moved{head_note}",
                tuple(sorted({*p.evidence, *f.prior_grade_events})))
    return out
