"""The catalogue of positive/negative-list categories: kind, allowed points, sanction or not.

It is an aggregate of its own (stream ``catalogue``), so changing it leaves a trace like any
record. A fresh system starts from ``DEFAULT_CATEGORIES``, appended once by ``seed``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from services.dossier.errors import AlreadyDone, DomainError
from shared.events import CategoryDefined, DomainEvent, EntryKind

STREAM_ID = "catalogue"


@dataclass(frozen=True, slots=True)
class Catalogue:
    categories: dict[str, CategoryDefined] = field(default_factory=dict)
    version: int = 0

    def get(self, code: str) -> CategoryDefined | None:
        return self.categories.get(code)


def fold(events: Iterable[DomainEvent]) -> Catalogue:
    categories: dict[str, CategoryDefined] = {}
    version = 0
    for event in events:
        version += 1
        if isinstance(event, CategoryDefined):
            categories[event.code] = event
    return Catalogue(categories, version)


def define_category(catalogue: Catalogue, definition: CategoryDefined) -> list[DomainEvent]:
    earlier = catalogue.get(definition.code)
    if earlier is not None and earlier.kind != definition.kind:
        raise DomainError(f"category {definition.code!r} is for {earlier.kind} entries; its kind cannot change",
                          field="kind", rule="category_kind_fixed")
    if earlier == definition:
        raise AlreadyDone(f"category {definition.code!r} is already defined so", field="code", rule="definition_changes")
    return [definition]


def _c(code: str, name: str, kind: EntryKind, lo: str, hi: str, sanction: bool = False) -> CategoryDefined:
    return CategoryDefined(code=code, name=name, kind=kind, min_points=Decimal(lo), max_points=Decimal(hi),
                           sanction=sanction)


A, P, N = EntryKind.ACHIEVEMENT, EntryKind.POSITIVE, EntryKind.NEGATIVE
# A starting point modelled on the source articles (000, 002); each department adjusts it.
DEFAULT_CATEGORIES = [
    _c("key_project", "重点项目实绩", A, "0", "10"),
    _c("key_achievement", "重要实绩", A, "0", "10"),
    _c("honour", "表彰奖励", P, "0.5", "10"),
    _c("urgent_difficult_task", "急难险重任务表现突出", P, "0.5", "5"),
    _c("innovation", "改革创新", P, "0.5", "5"),
    _c("inaction", "不作为、慢作为", N, "-10", "-0.5"),
    _c("irresponsibility", "不担当、不负责", N, "-10", "-0.5"),
    _c("work_style", "作风问题", N, "-5", "-0.5"),
    _c("accountability", "问责", N, "-20", "-1", sanction=True),
    _c("disciplinary_sanction", "党纪政务处分", N, "-30", "-2", sanction=True),
]
