"""What an assessment input or decision refers to must exist when it is written (issue 16). Pure.

Scoring used to take an input of an unknown scheme or indicator and list it as ``ignored``: a typing mistake
went unnoticed until someone read the explanation. The dossier now refuses it (422 naming the field and the
rule), reading the scheme's stream (``scheme-<id>``: its versions, as ``assessment_schemes.fold`` holds them):
- ``scheme_exists``: a version of the scheme is published;
- ``indicator_in_scheme``: a reading's or breach's indicator is one of a version in force at some time in the
  year (a version published mid-year may add indicators, 004; an earlier one may have dropped some);
- ``component_scored_in_scheme``: a score's component is one scored as a whole (``source: score``) in such a
  version;
- ``scheme_assesses_the_kind``: a decision's scheme assesses that kind of subject (unit, team, cadre).
A year no version covers has none of its indicators: the reading is refused by ``indicator_in_scheme``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from services.dossier.errors import DomainError
from shared.assessment_scheme import AssessmentScheme


def require_scheme(versions: Sequence[AssessmentScheme], scheme_id: str) -> None:
    if not versions:
        raise DomainError(f"no assessment scheme {scheme_id} is published", field="scheme_id", rule="scheme_exists")


def _of_the_year(versions: Sequence[AssessmentScheme], year: int) -> list[AssessmentScheme]:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return [v for v in versions if v.effective_from <= last and (v.effective_to is None or v.effective_to >= first)]


def require_indicator(versions: Sequence[AssessmentScheme], scheme_id: str, indicator_id: str, year: int) -> None:
    require_scheme(versions, scheme_id)
    if not any(i.id == indicator_id for v in _of_the_year(versions, year) for i in v.indicators):
        raise DomainError(f"{indicator_id} is not an indicator of {scheme_id} in {year}", field="indicator_id",
                          rule="indicator_in_scheme")


def require_scored_component(versions: Sequence[AssessmentScheme], scheme_id: str, component_id: str,
                             year: int) -> None:
    require_scheme(versions, scheme_id)
    if not any(c.id == component_id and c.source == "score" for v in _of_the_year(versions, year)
               for c in v.components):
        raise DomainError(f"{component_id} is not a component of {scheme_id} scored as a whole in {year}",
                          field="component_id", rule="component_scored_in_scheme")


def require_kind(versions: Sequence[AssessmentScheme], scheme_id: str, subject_kind: str) -> None:
    require_scheme(versions, scheme_id)
    kinds = {v.subject_kind for v in versions}
    if subject_kind not in kinds:
        raise DomainError(f"{scheme_id} assesses {', '.join(sorted(kinds))}s, not {subject_kind}s",
                          field="scheme_id", rule="scheme_assesses_the_kind")
