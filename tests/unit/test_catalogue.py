"""The catalogue of list categories: what it refuses, and what a fresh system starts from."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.dossier import catalogue
from services.dossier.errors import AlreadyDone, DomainError
from shared.events import CategoryDefined, EntryKind

HONOUR = CategoryDefined(code="honour", name="表彰奖励", kind="positive", min_points=Decimal("0.5"), max_points=Decimal(10))


def test_a_new_code_is_defined() -> None:
    assert catalogue.define_category(catalogue.Catalogue(), HONOUR) == [HONOUR]


def test_a_code_keeps_its_kind() -> None:
    book = catalogue.fold([HONOUR])
    as_negative = CategoryDefined(code="honour", name="表彰奖励", kind="negative", min_points=-1, max_points=-0.5)
    with pytest.raises(DomainError) as refused:
        catalogue.define_category(book, as_negative)
    assert (refused.value.rule, refused.value.field, refused.value.status) == ("category_kind_fixed", "kind", 422)


def test_the_same_definition_again_is_already_done_and_a_changed_one_replaces_it() -> None:
    book = catalogue.fold([HONOUR])
    with pytest.raises(AlreadyDone) as refused:
        catalogue.define_category(book, HONOUR.model_copy())
    assert (refused.value.rule, refused.value.status) == ("definition_changes", 409)
    wider = HONOUR.model_copy(update={"max_points": Decimal(20)})
    assert catalogue.define_category(book, wider) == [wider]
    book = catalogue.fold([HONOUR, wider])
    assert book.get("honour").max_points == Decimal(20) and book.version == 2 and book.get("nope") is None


@pytest.mark.parametrize(("kind", "lo", "hi"), [
    ("positive", 2, 1),  # min above max
    ("positive", 0, 3),  # a positive category reaching zero
    ("negative", -3, 0),  # a negative one reaching zero
    ("negative", 1, 2),
    ("achievement", -1, 3),  # an achievement below zero
])
def test_a_range_against_its_kind_is_not_a_definition(kind: str, lo: float, hi: float) -> None:
    with pytest.raises(ValidationError):
        CategoryDefined(code="x", name="x", kind=kind, min_points=lo, max_points=hi)


def test_the_default_catalogue_is_valid_and_each_code_once() -> None:
    codes = [c.code for c in catalogue.DEFAULT_CATEGORIES]
    assert len(codes) == len(set(codes)) == 10
    book = catalogue.fold(catalogue.DEFAULT_CATEGORIES)
    sanctions = {c.code for c in book.categories.values() if c.sanction}
    assert sanctions == {"accountability", "disciplinary_sanction"}
    assert all(c.kind is EntryKind.NEGATIVE for c in book.categories.values() if c.sanction)
