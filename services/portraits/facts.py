"""What the dossier knows of one cadre on a day, as the portrait, the search and the team report read it. Pure.

``cadre_facts`` takes the cadre's folded dossier (``services.dossier.domain``) and the references of the events
behind it, both as known at the moment asked (the caller folds only the events recorded by ``known_at``), and a day
``as_of``: what had happened by then counts, what had not is left out. Ages and years at a level are whole years
to ``as_of`` (the third year is full on the same calendar day three years on, as screening counts 任职满三年);
time at a level counts across transfers between posts of that level and starts again at a promotion
(``services.scoring.screening.at_level_since``, the rule screening applies).

Nothing sealed is read: the declarations (relatives, naked official) stay in the dossier; screening alone says
what they mean for promotion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.dossier.domain import Dossier, Post
from services.scoring.screening import at_level_since
from shared.events import EducationKind, EntryKind
from shared.profile_events import EDUCATION_LEVELS, EducationLevel

WINDOW_YEARS = 3


@dataclass(frozen=True, slots=True)
class RecordRef:
    """An event behind a figure: which one of the cadre's stream, of what type, when it counts and was recorded."""

    version: int
    event_type: str
    effective_date: dt.date | None
    recorded_at: dt.datetime

    def view(self) -> dict[str, Any]:
        return {"version": self.version, "type": self.event_type,
                "effective_date": self.effective_date.isoformat() if self.effective_date else None,
                "recorded_at": self.recorded_at.isoformat()}


def full_years(start: dt.date, day: dt.date) -> int:
    """Whole years from ``start`` to ``day`` (an age, a time at a level); 0 before ``start``."""
    return max(0, day.year - start.year - ((day.month, day.day) < (start.month, start.day)))


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 Feb -> 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _posts_by(state: Dossier, day: dt.date) -> list[Post]:
    """Posts begun by ``day``, a post ending after ``day`` still open on it."""
    posts = []
    for post in state.posts.values():
        if post.start_date <= day:
            ended = post.end_date if post.end_date is not None and post.end_date <= day else None
            posts.append(Post(post.post_id, post.unit_id, post.position, post.rank, post.leadership, post.start_date,
                              ended))
    return sorted(posts, key=lambda p: (p.start_date, p.post_id))


def _career(state: Dossier, day: dt.date, unit_classes: Mapping[str, str]) -> dict[str, Any]:
    posts = _posts_by(state, day)
    current = [p for p in posts if p.open_on(day)]
    views = [{"post_id": p.post_id, "unit_id": p.unit_id, "unit_class": unit_classes.get(p.unit_id),
              "position": p.position, "rank": p.rank, "leadership": p.leadership.value,
              "start_date": p.start_date.isoformat(), "end_date": p.end_date.isoformat() if p.end_date else None}
             for p in posts]
    career: dict[str, Any] = {"posts": views, "current": None, "rank": None, "rank_since": None,
                              "years_at_rank": None, "years_in_current_post": None,
                              "unit_classes_served": sorted({c for p in posts if (c := unit_classes.get(p.unit_id))}),
                              "came_from": None}
    if not current:
        return career
    # The post that started last is the one the cadre is known by (a concurrent post keeps the main one's rank).
    main = max(current, key=lambda p: (p.start_date, p.post_id))
    run = min((at_level_since(posts, p) for p in current), key=lambda r: r[0].start_date)
    earlier = [p for p in posts if p.start_date < main.start_date and p.post_id != main.post_id]
    previous = max(earlier, key=lambda p: (p.start_date, p.post_id)) if earlier else None
    career.update(
        current=next(v for v in views if v["post_id"] == main.post_id), rank=main.rank,
        rank_since=run[0].start_date.isoformat(), years_at_rank=full_years(run[0].start_date, day),
        years_in_current_post=full_years(main.start_date, day),
        came_from=None if previous is None else {"unit_id": previous.unit_id,
                                                 "unit_class": unit_classes.get(previous.unit_id),
                                                 "same_unit": previous.unit_id == main.unit_id})
    return career


def _education(state: Dossier, day: dt.date) -> dict[str, Any]:
    found = {kind: state.profile.education_on(kind, day) for kind in EducationKind}
    views = {kind.value: None if e is None else {
        "level": e.level.value, "degree": e.degree.value, "major": e.major, "discipline": e.discipline.value,
        "institution": e.institution, "completed_on": e.completed_on.isoformat()} for kind, e in found.items()}
    levels = [e.level for e in found.values() if e is not None]
    highest = min(levels, key=EDUCATION_LEVELS.index) if levels else None
    expertise = state.profile.expertise_on(day)
    return {**views, "highest_level": highest.value if highest else None,
            "full_time_level": found[EducationKind.FULL_TIME].level.value if found[EducationKind.FULL_TIME] else None,
            "majors": sorted({e.major for e in found.values() if e}),
            "disciplines": sorted({e.discipline.value for e in found.values() if e}),
            "professional_field": expertise.professional_field if expertise else None,
            "familiar_fields": list(expertise.familiar_fields) if expertise else []}


def _lists(state: Dossier, day: dt.date, entries: bool) -> dict[str, Any]:
    since = years_before(day, WINDOW_YEARS)
    counted = [e for e in state.entries.values() if not e.revoked and since < e.effective_date <= day]
    views = [{"entry_id": e.entry_id, "kind": e.kind.value, "category": e.category, "title": e.title,
              "points": float(e.points), "effective_date": e.effective_date.isoformat(),
              "basis": e.basis.model_dump()} for e in sorted(counted, key=lambda e: (e.effective_date, e.entry_id))
             ] if entries else []
    positive = [e for e in counted if e.kind is EntryKind.POSITIVE]
    negative = [e for e in counted if e.kind is EntryKind.NEGATIVE]
    sanctions = [{"entry_id": e.entry_id, "title": e.title, "impact_period": e.impact_period.model_dump(mode="json")}
                 for e in state.entries.values()
                 if not e.revoked and e.impact_period and e.impact_period.start <= day <= e.impact_period.end]
    return {"window": {"after": since.isoformat(), "until": day.isoformat()}, "entries": views,
            "positive_count": len(positive), "negative_count": len(negative),
            "positive_points": float(sum((e.points for e in positive), Decimal(0))),
            "negative_points": float(sum((e.points for e in negative), Decimal(0))),
            "active_sanctions": sanctions}


def _years(state: Dossier, day: dt.date) -> dict[str, Any]:
    """Each assessed year before ``day``'s year (an annual review speaks of a complete year)."""
    years = {}
    for year in sorted(y for y in state.assessments if y < day.year):
        a = state.assessments[year]
        years[str(year)] = {"annual_grade": a.annual_grade.value if a.annual_grade else None,
                            "appraisal_level": a.appraisal_level.value if a.appraisal_level else None,
                            "mass_satisfaction": _money(a.mass_satisfaction),
                            "political_quality": _money(a.political_quality),
                            "democratic": a.democratic, "vetoes": [b.model_dump() for b in a.vetoes]}
    return years


def cadre_facts(state: Dossier, refs: Sequence[RecordRef], as_of: dt.date,
                unit_classes: Mapping[str, str], entries: bool = True) -> dict[str, Any]:
    """The facts of one cadre on ``as_of`` (``state`` and ``refs`` as known at the moment asked). ``entries``
    False: the lists' counts and points without each entry (a search's row shows none; a cadre may have thousands
    in the window, and writing each out was most of a search page's time, bench/RESULTS.md issue 20)."""
    basics = state.basics
    birth = dt.date.fromisoformat(basics["birth_date"]) if basics.get("birth_date") else None
    results = [{"result_id": r.result_id, "source": r.source.value, "title": r.title,
                "effective_date": r.effective_date.isoformat(), "conclusion": r.conclusion.value,
                "findings": list(r.findings), "basis": r.basis.model_dump()}
               for r in state.profile.results_by(as_of)]
    counted = [r for r in refs if r.effective_date is None or r.effective_date <= as_of]
    return {
        "cadre_id": state.cadre_id, "name": state.name, "registered_unit_id": state.unit_id,
        "as_of": as_of.isoformat(), "version": state.version,
        "basics": {"birth_date": birth.isoformat() if birth else None,
                   "age": full_years(birth, as_of) if birth else None,
                   "gender": basics.get("gender"), "political_status": basics.get("political_status"),
                   "education_stated": basics.get("education")},
        "education": _education(state, as_of),
        "career": _career(state, as_of, unit_classes),
        "lists": _lists(state, as_of, entries),
        "years": _years(state, as_of),
        "external_results": results,
        "records": [r.view() for r in counted],
    }


def highest_level_rank(level: str | None) -> int:
    """The rank of an education level, 0 the highest; no education recorded ranks below every level."""
    return EDUCATION_LEVELS.index(EducationLevel(level)) if level else len(EDUCATION_LEVELS)
