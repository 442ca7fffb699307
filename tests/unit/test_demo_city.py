"""``shiji demo generate``: deterministic, shaped like the sources, and every row an importable command."""

from __future__ import annotations

import collections
import datetime as dt
import io
import statistics

import pytest

from services import demo_city
from services.demo_city import CityShape, generate, write_ndjson
from services.dossier.importer import ImportRow, parse_row

SHAPE = CityShape(cadres=400, events=40_000, seed=11)


def ndjson(shape: CityShape) -> str:
    out = io.StringIO()
    write_ndjson(shape, out)
    return out.getvalue()


def test_the_same_seed_writes_the_same_bytes_and_another_seed_other_bytes() -> None:
    first = ndjson(SHAPE)
    assert first == ndjson(CityShape(cadres=400, events=40_000, seed=11))
    assert first != ndjson(CityShape(cadres=400, events=40_000, seed=12))


def test_the_city_has_the_proportions_of_the_sources() -> None:
    rows = list(generate(SHAPE))
    ops = collections.Counter(r["operation"] for r in rows)
    kinds = collections.Counter(r["body"]["kind"] for r in rows if r["operation"] == "record_entry")
    grades = collections.Counter(r["body"]["grade"] for r in rows if r["operation"] == "record_annual_grade")
    # About the events asked for (transfers append two events per row).
    assert 0.9 * SHAPE.events < len(rows) + ops["transfer"] < 1.1 * SHAPE.events
    assert ops["register_cadre"] == 400 and ops["assign_post"] == 400
    # 000: 225 positive to 71 negative entries (3.17 : 1).
    assert 2.8 < kinds["positive"] / kinds["negative"] < 3.6
    # 001: 416 excellent, 1,388 competent of 1,847 graded.
    assert abs(grades["excellent"] / grades.total() - 416 / 1847) < 0.03
    assert abs(grades["competent"] / grades.total() - 1388 / 1847) < 0.03
    # About 34 cadres per unit under a city and its counties; the unit classes of 001.
    units = [r["body"] for r in rows if r["operation"] == "register_unit"]
    assert sum(u["level"] == "unit" for u in units) == round(400 / 34)
    assert {u["level"] for u in units} == {"city", "county", "unit"}
    # Late corrections exist, and every one names an entry recorded before it.
    assert ops["amend_entry"] > 0 and ops["revoke_entry"] > 0 and ops["transfer"] > 0


def test_entries_per_cadre_are_skewed_most_tens_a_few_hundreds() -> None:
    per_cadre = collections.Counter(r["params"]["cadre_id"] for r in generate(SHAPE) if r["operation"] == "record_entry")
    counts = sorted(per_cadre.values())
    mean, median = statistics.mean(counts), statistics.median(counts)
    assert median < mean / 2  # a long tail
    assert counts[-1] > 10 * median


def test_every_row_is_a_valid_command_and_corrections_follow_their_entry() -> None:
    seen_entries: set[str] = set()
    for number, raw in enumerate(generate(CityShape(cadres=60, events=6_000, seed=3)), start=1):
        parsed = parse_row(number, raw)
        assert isinstance(parsed, ImportRow), (raw, parsed)
        if raw["operation"] == "record_entry":
            seen_entries.add(raw["params"]["entry_id"])
        elif raw["operation"] in ("amend_entry", "revoke_entry"):
            assert raw["params"]["entry_id"] in seen_entries


def test_every_cadre_has_what_a_portrait_needs_with_spreads_by_rank() -> None:
    """Birth dates, full-time education, fields for every cadre; in-service education and other sources' results
    for some; ages by rank (a chief older than a section deputy on average), several levels and fields."""
    rows = list(generate(SHAPE))
    by_op = collections.defaultdict(dict)
    for r in rows:
        if r["operation"] in ("register_cadre", "record_expertise", "assign_post"):
            by_op[r["operation"]][r["params"]["cadre_id"]] = r["body"]
    cadres = set(by_op["register_cadre"])
    assert len(cadres) == SHAPE.cadres and set(by_op["record_expertise"]) == cadres
    educations = [r["body"] for r in rows if r["operation"] == "record_education"]
    full_time = [e for e in educations if e["kind"] == "full_time"]
    assert len(full_time) == len(cadres) and 0.15 < (len(educations) - len(full_time)) / len(cadres) < 0.4
    assert {e["level"] for e in full_time} >= {"master", "bachelor", "associate"}
    assert len({e["discipline"] for e in full_time}) >= 6
    results = [r["body"] for r in rows if r["operation"] == "record_external_result"]
    assert 0.03 < len(results) / len(cadres) < 0.15 and {r["conclusion"] for r in results} == {
        "positive", "neutral", "negative"}
    fields = collections.Counter(b["professional_field"] for b in by_op["record_expertise"].values())
    assert len(fields) >= 8 and all(b["professional_field"] not in b["familiar_fields"]
                                    for b in by_op["record_expertise"].values())

    def age(cadre_id: str) -> int:
        return SHAPE.end.year - int(by_op["register_cadre"][cadre_id]["birth_date"][:4])
    by_rank = collections.defaultdict(list)
    for cadre_id, post in by_op["assign_post"].items():
        by_rank[post["rank"]].append(age(cadre_id))
    assert min(min(a) for a in by_rank.values()) >= 25 and max(max(a) for a in by_rank.values()) <= 60
    assert statistics.mean(by_rank["正处级"]) > statistics.mean(by_rank["副科级"]) + 8


PROFILE_OPERATIONS = ("record_education", "record_expertise", "record_external_result")


def test_the_profile_rows_are_drawn_apart_and_events_stay_the_total_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile rows take their own draws: left out, every other row is the same but for the birth date at
    registration (so adding them changed no other row's draws, only how many entries fit in the events asked,
    which remain the total)."""
    shape = CityShape(cadres=50, events=5_000, seed=11)
    rows = list(generate(shape))
    transfers = sum(r["operation"] == "transfer" for r in rows)
    assert 0.9 * shape.events < len(rows) + transfers < 1.1 * shape.events
    monkeypatch.setattr(demo_city.profiles, "profile_rows", lambda *args: iter(()))
    assert list(generate(shape)) == [r for r in rows if r["operation"] not in PROFILE_OPERATIONS]
    monkeypatch.setattr(demo_city.profiles, "birth_date", lambda *args: dt.date(1970, 1, 1))
    assert {r["body"].get("birth_date") for r in generate(shape) if r["operation"] == "register_cadre"} == {
        "1970-01-01"}
