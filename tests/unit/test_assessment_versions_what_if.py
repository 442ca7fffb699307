"""A scheme changed mid-year (004: targets "追加下达"): results under each version reproducible, byte for
byte; and the what-if of a changed scheme over many subjects."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import pytest

from services.scoring.assessment import Inputs, InvalidInputs, Reading, Subject, assess, canonical_json, what_if
from shared.assessment_scheme import in_force, parse_scheme, version_problems
from tests.unit.assessment_schemes import READINGS, SCORES, SUBJECTS, doc, scheme

D = Decimal
INPUTS = Inputs(tuple(READINGS), tuple(SCORES))


def _v2() -> dict[str, Any]:
    d = doc()
    d.update(version=2, effective_from="2025-07-01", reason="年中追加下达：中心城区增速目标提高",
             document="市综合考评办〔2025〕9号")
    next(i for i in d["indicators"] if i["id"] == "gdp")["targets"]["central"] = "110"
    return d


V1 = scheme(effective_to="2025-06-30")
V2 = parse_scheme(_v2())


def test_both_versions_stand_and_each_is_reproducible() -> None:
    assert version_problems([V1, V2]) == []
    assert in_force([V1, V2], dt.date(2025, 3, 1)) is V1 and in_force([V1, V2], dt.date(2025, 9, 1)) is V2
    under_v1, under_v2 = assess(V1, 2025, SUBJECTS, INPUTS), assess(V2, 2025, SUBJECTS, INPUTS)
    # c1 under v2: gdp 110 / 110 → 100; work = (100×50 + 80×30 + 85×20) / 100 = (5000 + 2400 + 1700) / 100 = 91
    # composite = (91×60 + 90×40) / 100 = (5460 + 3600) / 100 = 90.6
    assert (under_v1["c1"].composite, under_v2["c1"].composite) == (D("93.60"), D("90.60"))
    assert (under_v1["c1"].scheme, under_v2["c1"].scheme) == ("district-2025@1", "district-2025@2")
    assert under_v1["n1"].composite == under_v2["n1"].composite  # the new districts' targets did not change
    # Recomputed from the stored documents (JSON) and the same inputs: the same bytes.
    for version, before in ((V1, under_v1), (V2, under_v2)):
        stored = parse_scheme(version.model_dump_json())
        again = assess(stored, 2025, list(reversed(SUBJECTS)), Inputs(tuple(reversed(READINGS)), tuple(SCORES)))
        assert canonical_json(list(again.values())) == canonical_json(list(before.values()))
    assert hashlib.sha256(canonical_json(under_v1["c1"])).hexdigest() != hashlib.sha256(
        canonical_json(under_v2["c1"])).hexdigest()


def test_canonical_json_is_plain_and_stable() -> None:
    result = assess(V1, 2025, SUBJECTS, INPUTS)["c1"]
    text = canonical_json(result).decode()
    assert text.startswith('{"class_id":"central","components":[') and '"composite":"93.60"' in text
    assert canonical_json(result) == canonical_json(assess(V1, 2025, SUBJECTS, INPUTS)["c1"])


def test_inputs_the_scheme_cannot_take_are_refused() -> None:
    with pytest.raises(InvalidInputs, match="two readings"):
        assess(V1, 2025, SUBJECTS, Inputs((READINGS[0], READINGS[0])))
    with pytest.raises(InvalidInputs, match="not an indicator"):
        assess(V1, 2025, SUBJECTS, Inputs((Reading("c1", "gdq", D(1)),)))
    with pytest.raises(InvalidInputs, match="not a class"):
        assess(V1, 2025, [Subject("x", "zone")], Inputs())
    with pytest.raises(InvalidInputs, match="override"):
        assess(V1, 2025, [Subject("beidaihe", "new")], Inputs())


def test_what_if_lists_changed_composites_grades_and_ranks() -> None:
    result = what_if(V1, V2, 2025, SUBJECTS, INPUTS)
    assert (result.current, result.proposed, result.subjects, result.dropped_inputs) == (
        "district-2025@1", "district-2025@2", 9, 0)
    changed = {c.subject_id: c for c in result.changes}
    # central gdp target 100 → 110: c1 93.6 → 90.6 (still merit); c3: gdp 90 → 81.8181…;
    # work = (81.8181…×50 + 60×30 + 70×20) / 100 = 72.90909…; composite = 72.90909…×60/100 = 43.745454… → 43.75
    assert changed["c1"].current.composite == D("93.60") and changed["c1"].proposed.composite == D("90.60")
    assert changed["c1"].composite_delta == D("-3.00") and changed["c1"].changed == ("composite",)
    assert changed["c3"].proposed.composite == D("43.75")
    # c2 has no gdp reading; the new districts' targets are unchanged, but n5 takes gdp from c1 (市县同责连带):
    # (100 + 75) / 2 = 87.5; work = (87.5×40 + 100×30 + 70×30) / 100 = 86; (86×50 + 60×40 + 70×10) / 100 = 74
    assert set(changed) == {"c1", "c3", "beidaihe", "n5"}
    assert changed["n5"].proposed.composite == D("74.00")
    # beidaihe: gdp 130 / 110 = 118.18… (under the cap now): work = (118.1818…×40 + 60×40 + 100×20) / 100
    # = 91.27272…; composite = (91.27272…×60 + 85×40) / 100 = 88.763636… → 88.76; rank 2 → 2, c2 88 stays third
    assert changed["beidaihe"].proposed.composite == D("88.76")


def test_what_if_shows_grade_and_rank_changes() -> None:
    d = doc()
    d["grade_thresholds"][0]["at_least"] = "94"  # merit needs 94
    d["components"][0]["weights"]["central"] = "90"
    d["components"][1]["weights"]["central"] = "10"  # central: work 90 %, routine 10 % (illustrative)
    changed = {c.subject_id: c for c in what_if(V1, parse_scheme(d), 2025, SUBJECTS, INPUTS).changes}
    # c2: (100×90 + 70×10) / 100 = 97 (was 88, pass, 3rd) → merit, 1st, top band
    # c1: (96×90 + 90×10) / 100 = 95.4 (was 93.6, 1st) → merit still, 2nd, top band still
    # beidaihe: (92×90 + 85×10) / 100 = 91.3 (was 89.2, 2nd, top) → pass still, 3rd, no band (top = ceil(0.3×4) = 2)
    # c3: 77×90 / 100 = 69.3 (was 46.2, fail) → pass, 4th still
    got = {k: (c.proposed.composite, c.proposed.grade, c.proposed.rank, c.proposed.band, c.changed)
           for k, c in changed.items()}
    assert got == {
        "c2": (D("97.00"), "merit", 1, "top", ("composite", "grade", "rank", "band")),
        "c1": (D("95.40"), "merit", 2, "top", ("composite", "rank")),
        "beidaihe": (D("91.30"), "pass", 3, None, ("composite", "rank", "band")),
        "c3": (D("69.30"), "pass", 4, None, ("composite", "grade")),
    }  # the new districts: merit at 94 leaves n3 (94.9) merit and the rest pass: unchanged, not listed


def test_what_if_refuses_a_scheme_for_another_kind_of_subject() -> None:
    d = doc()
    d["subject_kind"] = "team"
    d["grade_thresholds"] = [{"grade": "excellent", "at_least": "90"}]
    with pytest.raises(ValueError, match="assesses"):
        what_if(V1, parse_scheme(d), 2025, SUBJECTS, INPUTS)
