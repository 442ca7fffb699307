"""The consequences of a *decided* grade, acted on (issue 16, step 5). Pure.

What triggers them (the decision written down):
- **The decision, not the proposal.** A proposal is advice; nobody is warned or barred on it. Consequences
  are acted on when the organization department decides the subject's grade (``assessment_grade_decided``),
  and they follow the decided grade: ``consequences`` (``consequences.py``, the rules and their articles)
  runs on the proposal with the decided grade in place of the proposed one.
- **The composite as of the year's end.** 80分以下 (reminder talk, 001) reads the calculated composite of the
  scheme version in force on 31 December of the year, with every input known when the decision is applied
  (the decision closes the year; a later correction of an input does not re-warn a closed year).
- **A later decision replaces the earlier one.** Deciding the year again (with its reason) acts again: what
  the new grade no longer entails is withdrawn (its warning cleared), what it newly entails is raised, what
  both entail stays as it was (no second warning). A consequence whose bearer changed (a new head) is
  withdrawn from the old bearer and raised for the new one.
- **Who bears it.** The subject; for a unit or team, its head: the cadre in the unit's chief (正职) post on the
  day the decision was recorded (a rebuild finds the same head). With no head recorded the consequence is
  still recorded, borne by the unit, but no warning is raised: a warning is for a person.

What each consequence does beside being recorded and published (``shared/assessment_topics.py``):
- a warning on ``shiji.scoring.warnings.v1`` for the talks and the review of a head's post (``WARNED``);
- ``rectification_report`` is owed until the unit files it (``assessment_rectification_filed``);
- ``promotion_barred``: the screening reads the team grade itself (``screening.team_average_bars_head``);
- ``demotion``: a flag, for the organization department to act on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.scoring.assessment.consequences import consequences
from services.scoring.assessment.inputs import GradeFacts
from services.scoring.assessment.proposal import Proposal

# action -> (warning kind, level): the consequences that warn their bearer.
WARNED = {"reminder_talk": ("assessment_reminder_talk", "yellow"),
          "admonishment_talk": ("assessment_admonishment_talk", "red"),
          "head_post_review": ("assessment_head_post_review", "red")}
RECTIFICATION = "rectification_report"
WARNING_KEY_MAX = 200  # the warnings table's key


@dataclass(frozen=True, slots=True)
class Decision:
    """A decided grade as the consumer applied it: whose, of which scheme and year, and its event."""

    subject_id: str
    subject_kind: str  # unit | team | cadre
    scheme_id: str
    year: int
    grade: str
    event_id: str
    recorded_on: dt.date


@dataclass(frozen=True, slots=True)
class Acted:
    """One consequence a decision entails, ready to record."""

    key: str  # rule:scheme:year:subject
    rule: str
    source: str
    subject_id: str
    subject_kind: str
    scheme_id: str
    year: int
    action: str
    bearer_id: str
    grade: str
    composite: Decimal | None
    evidence: tuple[str, ...]
    message: str
    warning_kind: str | None  # None: no warning (not a warned action, or no head recorded)
    level: str | None


@dataclass(frozen=True, slots=True)
class Held:
    """The newest row of a consequence key as scoring holds it."""

    key: str
    occurrence: int
    bearer_id: str
    active: bool
    warning_kind: str | None
    acted: Acted | None = None  # what it recorded (for the withdrawal's message)


@dataclass(frozen=True, slots=True)
class Plan:
    raise_: tuple[tuple[Acted, int], ...]  # with the occurrence to raise
    withdraw: tuple[Held, ...]


def warning_key(key: str) -> str:
    """The consequence's key as a warning's key (which holds 200 characters): itself, or when longer a
    prefix and a digest of the whole, still one per key."""
    if len(key) <= WARNING_KEY_MAX:
        return key
    return f"{key[:WARNING_KEY_MAX - 41]}:{hashlib.sha1(key.encode()).hexdigest()}"


def key_of(rule: str, d: Decision) -> str:
    return f"{rule}:{d.scheme_id}:{d.year}:{d.subject_id}"


def keys_of(d: Decision, rules: Sequence[str]) -> list[str]:
    return [key_of(r, d) for r in rules]


def entailed(d: Decision, proposal: Proposal | None, head_id: str | None, prior_fail_events: tuple[str, ...] = ()
             ) -> list[Acted]:
    """What the decided grade ``d`` entails. ``proposal``: the subject's proposal as of the year's end (None
    when the scheme computes none for it: no composite then); ``head_id``: the unit's head (units, teams);
    ``prior_fail_events``: the decision of 不达标 the year before, when there was one (units)."""
    base = proposal or Proposal(d.subject_id, d.subject_kind, d.year, d.scheme_id, None, None, None, None, (), ())
    decided = dataclasses.replace(base, subject_kind=d.subject_kind, proposed=d.grade,
                                  evidence=tuple(sorted({*base.evidence, d.event_id})))
    facts = GradeFacts(d.subject_id, head_id=head_id, prior_grade="fail" if prior_fail_events else None,
                       prior_grade_events=prior_fail_events)
    out = []
    for c in consequences(decided, facts):
        warned = WARNED.get(c.action)
        person = d.subject_kind == "cadre" or c.subject_id != d.subject_id  # the head, or the cadre
        out.append(Acted(key_of(c.rule, d), c.rule, c.source, d.subject_id, d.subject_kind, d.scheme_id, d.year,
                         c.action, c.subject_id, d.grade, decided.composite, c.event_ids, c.message,
                         warned[0] if warned and person else None, warned[1] if warned and person else None))
    return out


def plan(now: Sequence[Acted], held: Mapping[str, Held]) -> Plan:
    """What to raise and withdraw so that the active consequences of the decisions' keys are ``now``.
    ``held``: the newest row of every key these decisions could have entailed."""
    wanted = {a.key: a for a in now}
    raise_, withdraw = [], []
    for key, a in sorted(wanted.items()):
        h = held.get(key)
        if h is not None and h.active and h.bearer_id == a.bearer_id:
            continue  # entailed before and still: nothing new
        if h is not None and h.active:
            withdraw.append(h)  # borne by someone else now
        raise_.append((a, (h.occurrence if h else 0) + 1))
    withdraw.extend(h for key, h in sorted(held.items()) if h.active and key not in wanted)
    return Plan(tuple(raise_), tuple(withdraw))
