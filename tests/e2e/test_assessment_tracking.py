"""Tracking the annual comprehensive assessment through the year (issue 16 step 6) end to end, in both wirings,
through the gateway: a scheme with a warning margin, a year of monthly readings recorded by a clerk, and the
office reading a quarter's bulletin and the warning notices; role and jurisdiction as for the results. Also the
kept computed year: recomputed once an input of its scheme arrives."""

from __future__ import annotations

import copy
from typing import Any

from shared.answers.assessment_notices import Notices
from shared.answers.assessment_tracking import Bulletins, WarningNotices
from shared.answers.assessments import EXAMPLE_SCHEME
from tests.e2e.conftest import System
from tests.e2e.test_assessment import post
from tests.e2e.test_scoring_features import eventually

YEAR, SCHEME = 2025, "e2e-track"
UNITS = ("tr-u1", "tr-u2")


def scheme() -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLE_SCHEME)
    doc.update({"id": SCHEME, "tracking": {"warning_margin": "10"}})
    # revenue, a year-to-date figure with a target of 1,200 a year, in place of the example's rate
    doc["indicators"][0].update({"id": "revenue", "name": "财政收入", "unit": "亿元",
                                 "targets": {"economic_development": "1200"}})
    return doc


async def reading(system: System, unit: str, period: str, value: str, **more: str) -> dict[str, Any]:
    month = int(period[-2:])
    end = {2: 28, 4: 30, 6: 30, 9: 30, 11: 30}.get(month, 31)
    return await post(system, f"/units/{unit}/assessments/{YEAR}/readings", {
        "scheme_id": SCHEME, "indicator_id": "revenue", "period": period, "effective_date": f"{period}-{end}",
        "value": value, "source": "市财政局月报", **more})


async def get(system: System, path: str, expect: int = 200, **params: Any) -> dict[str, Any]:
    headers = params.pop("headers", None) or system.auth()
    r = await system.client.get(f"/api/v1/assessments/{SCHEME}{path}", params=params, headers=headers)
    assert r.status_code == expect, r.text
    return r.json()


async def test_a_year_tracked_month_by_month(system: System) -> None:
    assert (await post(system, "/assessments", {"scheme": scheme()}))["version"] == 1
    for n, unit in enumerate(UNITS):
        await post(system, "/units", {"unit_id": unit, "name": f"跟踪单位{n}", "parent_id": "e2e-county",
                                      "level": "unit", "unit_class": "economic_development"})
    # tr-u1: January 90 of 100 scheduled (1,200 × 1/12) is 10 points short: within the margin; February 170 of 200
    # is 15 short: a warning notice; March 260 of 300 is 13.33 short; April 370 of 400 is 7.5 short: closed.
    for period, value in (("2025-01", "90"), ("2025-02", "170"), ("2025-03", "260"), ("2025-04", "370")):
        await reading(system, "tr-u1", period, value, **({"last_year": "240"} if period == "2025-03" else {}))
    # tr-u2: March 330 of 300: ahead
    await reading(system, "tr-u2", "2025-03", "330", last_year="300")

    async def notices() -> dict[str, Any]:
        found = await get(system, "/warning-notices", year=YEAR)
        assert [(n["subject_id"], n["raised"]["period"], n["status"]) for n in found["notices"]] == [
            ("tr-u1", "2025-02", "closed")], found
        return found

    found = (await eventually(notices))["notices"][0]
    assert (found["raised"]["scheduled"], found["raised"]["progress"], found["raised"]["shortfall"]) == (
        "200.00", "85.00", "15.00")
    assert (found["closed"]["period"], found["closed"]["shortfall"]) == ("2025-04", "7.50")
    # as of the end of March the notice is still open; the same id, raised once
    march = await get(system, "/warning-notices", year=YEAR, as_of="2025-03-31", status="open")
    assert [n["notice_id"] for n in march["notices"]] == [found["notice_id"]]
    assert (await get(system, "/warning-notices", year=YEAR, status="open"))["notices"] == []

    q1 = await get(system, "/bulletins/2025-Q1", **{"class": "economic_development"})
    Bulletins.model_validate(q1)  # the answer keeps to its documented schema
    WarningNotices.model_validate(await get(system, "/warning-notices", year=YEAR))
    assert [b["class_id"] for b in q1["bulletins"]] == ["economic_development"]
    bulletin = q1["bulletins"][0]
    revenue = next(d for d in bulletin["data"] if d["indicator_id"] == "revenue")
    mine = {e["subject_id"]: e for e in revenue["entries"]}
    # the class's peers in March: (260 + 330) / 2 = 295; tr-u1 second, 86.67 % of the schedule, +8.33 % on last year
    assert revenue["class_average"] == "295.00"
    assert (mine["tr-u1"]["progress"], mine["tr-u1"]["behind"], mine["tr-u1"]["change_on_last_year"],
            mine["tr-u1"]["rank"]) == ("86.67", True, "8.33", 2)
    assert (mine["tr-u2"]["progress"], mine["tr-u2"]["behind"], mine["tr-u2"]["rank"]) == ("110.00", False, 1)
    assert {"e2e-unit"} <= set(revenue["missing"]) and "tr-u1" not in revenue["missing"]
    assert [n["notice_id"] for n in bulletin["warning_notices"]] == [found["notice_id"]]


async def test_a_bad_period_or_an_unknown_class_is_refused(system: System) -> None:
    assert (await get(system, "/bulletins/2025-13", 422))["status"] == 422
    assert (await get(system, "/bulletins/2025-Q1", 404, **{"class": "no-such-class"}))["status"] == 404
    r = await system.client.get("/api/v1/assessments/no-such-scheme/warning-notices", params={"year": YEAR},
                                headers=system.auth())
    assert r.status_code == 404, r.text


async def test_a_clerk_reads_the_tracking_of_their_own_subjects_only(system: System) -> None:
    auditor = system.auth(role="auditor", subject="aud-1")
    assert (await get(system, "/warning-notices", year=YEAR, headers=auditor))["year"] == YEAR
    await post(system, "/units", {"unit_id": "e2e-county-tr", "name": "跟踪另一区", "parent_id": "e2e-city",
                                  "level": "county", "unit_class": "district"})
    await post(system, "/units", {"unit_id": "tr-far", "name": "另一区单位", "parent_id": "e2e-county-tr",
                                  "level": "unit", "unit_class": "economic_development"})
    await reading(system, "tr-far", "2025-01", "10")
    async def city_sees_it() -> set[str]:
        seen = await _subjects(system, system.auth())
        assert "tr-far" in seen
        return seen
    city_sees = await eventually(city_sees_it)
    county_sees = await _subjects(system, system.auth(unit="e2e-county"))
    other_sees = await _subjects(system, system.auth(unit="e2e-county-tr"))
    assert "tr-far" in city_sees and "tr-far" not in county_sees and other_sees == {"tr-far"}
    assert county_sees and county_sees <= city_sees - {"tr-far"}
    cadre = system.auth(role="cadre", subject="c-1")
    await get(system, "/bulletins/2025-Q1", 403, headers=cadre)


async def test_a_kept_result_is_computed_again_when_an_input_of_its_scheme_arrives(system: System) -> None:
    async def composite(expected: str) -> None:
        r = await system.client.get(f"/api/v1/assessments/{SCHEME}/subjects/tr-u2", params={"year": YEAR},
                                    headers=system.auth())
        assert r.status_code == 200 and r.json()["composite"] == expected, r.text

    # tr-u2: revenue 330 (as of the year's end, 100 × 330 / 1,200 = 27.5 points); no poverty level (renormalised);
    # routine missing counts 0: composite = 27.5 × 60 / 100 = 16.50
    await eventually(lambda: composite("16.50"))
    await composite("16.50")  # kept
    await reading(system, "tr-u2", "2025-12", "1320")  # 110 points: 110 × 0.6 = 66.00
    await eventually(lambda: composite("66.00"))


async def test_a_notice_is_issued_and_closed_with_the_unit_s_answer(system: System) -> None:
    base = f"/units/tr-u1/assessments/{YEAR}/notices"
    notice = {"scheme_id": SCHEME, "indicator_id": "revenue", "period": "2025-02", "effective_date": "2025-03-05",
              "note": "2月财政收入进度滞后，请于15日内报送整改措施",
              "basis": {"reason": "2月跟踪分析", "document": "市考评办〔2025〕21号"}}
    before = await get(system, "/notices", year=YEAR)
    refused = await post(system, base, {**notice, "period": "2024-12"}, 422)
    assert [(e["field"], e["rule"]) for e in refused["errors"]] == [("period", "period_in_year")]
    refused = await post(system, base, {k: v for k, v in notice.items() if k != "note"}, 422)
    assert "note" in {e["field"] for e in refused["errors"]}
    await post(system, f"/units/no-such-unit/assessments/{YEAR}/notices", notice, 404)
    assert (await get(system, "/notices", year=YEAR))["notices"] == before["notices"]  # nothing was recorded
    issued = await post(system, base, notice)
    notice_id = issued["notice_id"]

    async def listed(status: str) -> dict[str, Any]:
        found = await get(system, "/notices", year=YEAR)
        mine = [n for n in found["notices"] if n["notice_id"] == notice_id]
        assert [n["status"] for n in mine] == [status], found
        return mine[0]

    opened = await eventually(lambda: listed("open"))
    assert (opened["subject_id"], opened["class_id"], opened["indicator_id"], opened["issued_on"],
            opened["document"]) == ("tr-u1", "economic_development", "revenue", "2025-03-05", "市考评办〔2025〕21号")
    answer = f"{base}/{notice_id}/answer"
    early = await post(system, answer, {"effective_date": "2025-03-01", "note": "已整改"}, 422)
    assert early["errors"][0]["rule"] == "answer_after_notice"
    await post(system, f"{base}/{'0' * 8}-0000-4000-8000-{'0' * 12}/answer",
               {"effective_date": "2025-03-20", "note": "已整改"}, 404)
    done = await post(system, answer, {"effective_date": "2025-03-18", "note": "已制定增收计划", "document": "区财〔2025〕3号"})
    assert done["answered"] is True and done["notice_id"] == notice_id
    again = await post(system, answer, {"effective_date": "2025-03-19", "note": "再答"}, 409)
    assert again["rule"] == "notice_not_answered"
    closed = await eventually(lambda: listed("answered"))
    Notices.model_validate(await get(system, "/notices", year=YEAR))  # the answer keeps to its documented schema
    assert closed["answer"]["answer"] == "已制定增收计划" and closed["answer"]["answered_on"] == "2025-03-18"
    # as of the day before the answer it was open; only open ones when asked
    assert [n["status"] for n in (await get(system, "/notices", year=YEAR, as_of="2025-03-17"))["notices"]
            if n["notice_id"] == notice_id] == ["open"]
    assert notice_id not in {n["notice_id"] for n in (await get(system, "/notices", year=YEAR, status="open"))["notices"]}
    # the county's clerk reads the notices of its own units; another county's clerk does not see them
    assert notice_id in {n["notice_id"] for n in (await get(system, "/notices", year=YEAR,
                                                              headers=system.auth(unit="e2e-county")))["notices"]}


async def _subjects(system: System, headers: dict[str, str]) -> set[str]:
    """Every subject a caller sees in the first quarter's bulletin (its entries, subjects and missing)."""
    body = await get(system, "/bulletins/2025-Q1", headers=headers)
    return {s for b in body["bulletins"] for s in b["subjects"]}
