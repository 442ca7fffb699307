"""The proposed grade of each subject: the grade its composite reaches, then every rule that applies,
each with its id, source and the events that made it fire. Pure. A proposal, never the decision: the
organization department records the decided grade (SuccessFactors keeps the calculated rating beside
the decided one; so do we), and every rule here says why the proposal is what it is.

Order, per kind of subject:
- **unit** (004): ``grade_from_composite`` (the scheme's thresholds; illustrative), then
  ``constraint_veto_unit_fails``: a breach of a veto constraint (a major ecological accident) → 不达标.
- **team** (001): ``grade_from_composite``; ``poverty_county_team_follows_result``: a poverty county's team
  grade follows its poverty result (好 → 优秀, 较好 → 良好, 一般 → 一般, 差 → 较差: 001 says only "保持一致",
  and its 75 poverty teams were 25 优秀 and 50 良好; the map is ours); the downgrades ``veto_matter_downgrade``,
  ``low_rank_and_formal_talk_downgrade`` (bottom band of the class plus a formal talk),
  ``public_reprimand_downgrade``, ``member_disciplined_downgrade``: 001 lowers the grade "根据情况"; we
  propose one level for any number of them, each listed; then the political-quality gate.
- **cadre** (001, 002): ``grade_from_composite``; ``poverty_good_head_excellent`` (a poverty county's party or
  government head, result 好 → 优秀 in principle, 001); ``morality_integrity_veto_appraisal_poor`` (002:
  the appraisal is 差 directly); the appraisal ceilings of 002: ``appraisal_poor_caps_below_competent`` (差 →
  not 称职 or better), ``appraisal_below_good_bars_excellent`` (较好/一般 → not 优秀),
  ``appraisal_unknown_bars_excellent`` (no appraisal recorded: 优秀 waits for it); then the gate.
- **gate** (teams and cadres, 001): ``political_quality_below_90_bars_excellent`` (低于90分: 90 passes);
  ``political_quality_unknown_bars_excellent`` (no score recorded: never a silent pass).
A blocked composite proposes no grade (``composite_blocked``) but vetoes and ceilings are still listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from services.scoring.assessment.inputs import GradeFacts, Inputs
from services.scoring.assessment.results import AssessmentResult, FiredRule, Standing, standings, vetoes
from shared.assessment_scheme import GRADE_SCALES, AssessmentScheme

POLITICAL_QUALITY_MIN = Decimal(90)  # 低于90分 bars 优秀 (001)
POVERTY_TEAM_GRADE = {"good": "excellent", "fairly_good": "good", "average": "average", "poor": "poor"}
DOWNGRADE_RULES = {"veto_matter": "veto_matter_downgrade", "formal_talk": "low_rank_and_formal_talk_downgrade",
                   "public_reprimand": "public_reprimand_downgrade", "member_disciplined": "member_disciplined_downgrade"}


@dataclass(frozen=True, slots=True)
class Proposal:
    subject_id: str
    subject_kind: str
    year: int
    scheme: str
    composite: Decimal | None
    calculated: str | None  # the grade the composite reaches
    proposed: str | None  # after every rule
    appraisal_level: str | None  # cadres: after the morality/integrity veto
    fired: tuple[FiredRule, ...]
    evidence: tuple[str, ...]  # every event the proposal rests on

    def rules(self) -> list[str]:
        return [f.rule for f in self.fired]


def grade_for(scheme: AssessmentScheme, composite: Decimal) -> str:
    for t in scheme.grade_thresholds:
        if composite >= t.at_least:
            return t.grade
    return GRADE_SCALES[scheme.subject_kind][-1]


class _Grade:
    def __init__(self, kind: str, grade: str | None) -> None:
        self.scale, self.grade = GRADE_SCALES[kind], grade

    def cap(self, ceiling: str) -> None:
        if self.grade is not None and self.scale.index(self.grade) < self.scale.index(ceiling):
            self.grade = ceiling

    def lower(self) -> None:
        if self.grade is not None:
            self.grade = self.scale[min(self.scale.index(self.grade) + 1, len(self.scale) - 1)]


def propose(scheme: AssessmentScheme, result: AssessmentResult, facts: GradeFacts | None = None,
            standing: Standing | None = None, veto_events: tuple[str, ...] = ()) -> Proposal:
    f = facts or GradeFacts(result.subject_id)
    kind = scheme.subject_kind
    fired: list[FiredRule] = []
    calculated = None if result.composite is None else grade_for(scheme, result.composite)
    g = _Grade(kind, calculated)
    if calculated is None:
        fired.append(FiredRule("composite_blocked", "scheme", (), "the composite is blocked: no grade is proposed"))
    else:
        fired.append(FiredRule("grade_from_composite", "scheme", (), f"composite {result.composite} → {calculated}"))

    def fire(rule: str, source: str, events: tuple[str, ...], message: str) -> None:
        before = g.grade
        fired.append(FiredRule(rule, source, events, f"{message} ({before} → {g.grade})"))

    appraisal = f.appraisal_level
    if kind == "unit" and veto_events:
        g.grade = "fail"
        fire("constraint_veto_unit_fails", "004", veto_events, "a veto constraint was breached: 不达标 for the year")
    if kind == "team":
        if f.poverty_result in POVERTY_TEAM_GRADE:
            g.grade = POVERTY_TEAM_GRADE[f.poverty_result]
            fire("poverty_county_team_follows_result", "001", f.poverty_events,
                 f"a poverty county's team grade follows its poverty result {f.poverty_result}")
        lowered = []
        for matter in sorted(f.downgrades, key=lambda m: (m.kind, m.event_ids)):
            if matter.kind == "formal_talk":
                if standing is None or standing.band != "bottom":
                    continue
                events = matter.event_ids
                message = f"ranked {standing.rank} of {standing.of} (bottom band) and formally talked to (约谈)"
            else:
                events, message = matter.event_ids, f"{matter.kind.replace('_', ' ')}"
            lowered.append(FiredRule(DOWNGRADE_RULES[matter.kind], "001", events, message))
        if lowered:
            before = g.grade
            g.lower()
            fired.extend(FiredRule(r.rule, r.source, r.event_ids, f"{r.message}: one level down in all ({before} → "
                                   f"{g.grade})") for r in lowered)
    if kind == "cadre":
        if f.poverty_county_head and f.poverty_result == "good":
            g.grade = "excellent"
            fire("poverty_good_head_excellent", "001", f.poverty_events,
                 "the head of a poverty county whose result is 好 is in principle 优秀")
        if f.integrity_veto_events:
            appraisal = "poor"
            fired.append(FiredRule("morality_integrity_veto_appraisal_poor", "002", f.integrity_veto_events,
                                   "a morality/integrity violation: the appraisal is 差 directly"))
        events = f.integrity_veto_events or f.appraisal_events
        if appraisal == "poor":
            g.cap("basically_competent")
            fire("appraisal_poor_caps_below_competent", "002", events, "appraisal 差: not 称职 or better")
        elif appraisal in ("fairly_good", "average"):
            g.cap("competent")
            fire("appraisal_below_good_bars_excellent", "002", events, f"appraisal {appraisal}: not 优秀")
        elif appraisal is None and g.grade == "excellent":
            g.cap("competent")
            fire("appraisal_unknown_bars_excellent", "002", (), "no appraisal level recorded: 优秀 waits for it")
    if kind in ("team", "cadre"):
        ceiling = "good" if kind == "team" else "competent"
        if f.political_quality is not None and f.political_quality < POLITICAL_QUALITY_MIN:
            g.cap(ceiling)
            fire("political_quality_below_90_bars_excellent", "001", f.political_quality_events,
                 f"political quality {f.political_quality} is below 90: not 优秀")
        elif f.political_quality is None and g.grade == "excellent":
            g.cap(ceiling)
            fire("political_quality_unknown_bars_excellent", "001", (), "no political-quality score: 优秀 waits for it")
    evidence = sorted({e for c in result.components for e in c.event_ids} | {e for r in result.fired for e in r.event_ids}
                      | {e for r in fired for e in r.event_ids})
    return Proposal(result.subject_id, kind, result.year, result.scheme, result.composite, calculated, g.grade,
                    appraisal if kind == "cadre" else None, tuple(fired), tuple(evidence))


def propose_all(scheme: AssessmentScheme, results: Mapping[str, AssessmentResult], inputs: Inputs,
                facts: Mapping[str, GradeFacts] | None = None) -> dict[str, Proposal]:
    """Every subject's proposal, with ranks within its class (for the low-rank downgrade)."""
    ranks = standings(scheme, results.values())
    facts = facts or {}
    return {sid: propose(scheme, r, facts.get(sid), ranks.get(sid), vetoes(scheme, inputs, sid))
            for sid, r in sorted(results.items())}
