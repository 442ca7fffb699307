"""``shiji demo generate``: deterministic, shaped like the sources, and every row an importable command."""

from __future__ import annotations

import collections
import io
import statistics

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
