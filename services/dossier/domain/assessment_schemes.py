"""Assessment schemes (综合考评方案) as streams of versions: ``scheme-<id>``. Pure.

Publishing a version validates the whole document (``shared.assessment_scheme.parse_scheme``) and the
version against those already published (``version_problems``: no repeated number, no overlap, no lower
number later); a refusal names every problem by field and rule and records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.dossier.errors import DomainError
from shared import assessment_commands as c
from shared.assessment_scheme import AssessmentScheme, SchemeInvalid, SchemeProblem, parse_scheme, version_problems
from shared.events import AssessmentSchemePublished, DomainEvent

STREAM_PREFIX = "scheme-"


def stream_id(scheme_id: str) -> str:
    return f"{STREAM_PREFIX}{scheme_id}"


class SchemeRefused(DomainError):
    """A scheme version refused, with every problem: ``errors`` as [{field, rule, message}]."""

    def __init__(self, problems: Iterable[SchemeProblem]) -> None:
        self.errors = [p.as_dict() for p in problems]
        first = self.errors[0] if self.errors else {"field": "scheme", "rule": "scheme_invalid", "message": "invalid"}
        super().__init__("the scheme is not valid: " + "; ".join(f"{e['field']}: {e['message']}" for e in self.errors),
                         field=first["field"], rule="scheme_invalid")


def fold(events: Iterable[DomainEvent]) -> tuple[AssessmentScheme, ...]:
    """The versions published, in order (each was valid when published)."""
    return tuple(parse_scheme(e.scheme) for e in events if isinstance(e, AssessmentSchemePublished))


def scheme_id_of(cmd: c.PublishAssessmentScheme) -> str:
    found: Any = cmd.scheme.get("id")
    return found if isinstance(found, str) else ""


def publish(versions: tuple[AssessmentScheme, ...], cmd: c.PublishAssessmentScheme) -> list[DomainEvent]:
    try:
        scheme = parse_scheme(cmd.scheme)
    except SchemeInvalid as exc:
        raise SchemeRefused(SchemeProblem(f"scheme.{p.field}", p.rule, p.message) for p in exc.problems) from None
    problems = version_problems([*versions, scheme])
    if problems:
        raise SchemeRefused(problems)
    return [AssessmentSchemePublished(scheme_id=scheme.id, version=scheme.version, effective_from=scheme.effective_from,
                                      scheme=scheme.model_dump(mode="json"))]
