"""Choosing the media type of an answer from ``Accept`` (services/gateway/negotiation.py), without a server."""

from __future__ import annotations

from services.gateway.negotiation import JSON, PDF, choose
from shared.documents.xlsx import XLSX


def test_json_is_the_default_and_wins_a_tie() -> None:
    for accept in (None, "", "  ", "*/*", "application/*", "application/json", f"{PDF}, {JSON}", f"{JSON}, {PDF}",
                   "text/html, */*;q=0.8", f"application/json; charset=utf-8, {XLSX};q=0.5"):
        assert choose(accept, [JSON, PDF, XLSX]) == JSON, accept


def test_a_named_document_type_is_chosen_by_its_quality() -> None:
    assert choose(PDF, [JSON, PDF]) == PDF
    assert choose(f"{PDF};q=0.9, {JSON};q=0.5", [JSON, PDF]) == PDF
    assert choose(f"{XLSX}, */*;q=0.1", [JSON, XLSX]) == XLSX
    assert choose(f"{PDF};q=0, */*", [JSON, PDF]) == JSON  # q=0: not acceptable at all


def test_an_accept_that_allows_none_of_the_offered_types_chooses_nothing() -> None:
    for accept in ("text/html", PDF, "image/*", f"{JSON};q=0", "application/problem+json", "garbage", ";;,"):
        assert choose(accept, [JSON, XLSX]) is None, accept
    assert choose(XLSX, [JSON, PDF]) is None


def test_a_range_that_cannot_be_read_is_left_out_of_the_rest() -> None:
    assert choose(f"garbage, {PDF}", [JSON, PDF]) == PDF
