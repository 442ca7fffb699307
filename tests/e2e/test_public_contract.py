"""Issue 15, item 5: typed answers. The public OpenAPI gives every success answer a schema, and the answers keep
to it; the protocol's edges (a body that is not UTF-8 or not JSON, a method the path does not allow, a date
given as a bare number) answer what the schema and the problems say; the rules the gateway and the services
enforce are stated in the schema."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from services.gateway.docs import NO_CONTROL_CHARACTERS, REQUEST_EXAMPLES
from shared.commands import OPERATIONS, RECORD_DATE
from tests.e2e.conftest import System
from tests.e2e.test_assessment_consequences import CADRE_SCHEME
from tests.e2e.test_gateway import assert_problem, entry, key, register, score_when, today
from tests.e2e.test_scoring_features import eventually

METHODS = ("get", "post", "put", "patch", "delete")
WRITE_PATHS = {f"/api/v1{op.path}" for op in OPERATIONS}


async def spec_of(system: System) -> dict[str, Any]:
    r = await system.client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, item in spec["paths"].items() for method, op in item.items()
            if method in METHODS]


def answer_schema(op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(status, answer)] = [(s, a) for s, a in op["responses"].items() if s.startswith("2")]
    return status, answer["content"]["application/json"]["schema"]


async def test_every_operation_documents_its_success_answer_with_a_schema_and_an_example(system: System) -> None:
    spec = await spec_of(system)
    schemas = spec["components"]["schemas"]
    for method, path, op in operations(spec):
        status, schema = answer_schema(op)
        assert status == ("201" if method == "post" and path in WRITE_PATHS else "200"), (method, path)
        assert schema not in ({}, None) and "$ref" in schema, (method, path, schema)
        model = schemas[schema["$ref"].rsplit("/", 1)[1]]
        assert model.get("type") == "object" and model.get("properties"), (method, path)
        assert model.get("additionalProperties") is False, (method, path)  # a new field breaks the contract test
        assert model.get("examples"), (method, path)


async def test_every_operation_that_reads_a_body_documents_the_400_of_a_body_that_is_not_utf8(system: System) -> None:
    with_body = [(m, p, op) for m, p, op in operations(await spec_of(system)) if "requestBody" in op]
    assert len(with_body) == len(OPERATIONS) + 4  # every write, the three what-ifs and the bulk import
    for method, path, op in with_body:
        assert op["responses"]["400"]["content"]["application/problem+json"]["schema"], (method, path)


async def test_a_body_that_is_not_utf8_is_a_400_and_json_that_does_not_parse_names_the_body(system: System) -> None:
    not_utf8 = b'{"name": "\xff\xfe", "unit_id": "e2e-unit"}'
    for path, content_type in (("/api/v1/cadres", "application/json"), ("/api/v1/imports", "application/x-ndjson")):
        r = await system.client.post(path, content=not_utf8, headers={
            **system.auth(), **key(), "Content-Type": content_type})
        body = assert_problem(r, 400)
        assert body["title"] == "The body is not UTF-8 text" and "byte 10" in body["detail"], body
    r = await system.client.post("/api/v1/cadres", content=b'{"name": ', headers={
        **system.auth(), **key(), "Content-Type": "application/json"})
    body = assert_problem(r, 422, "body", "json_invalid")
    assert "character 9" in body["errors"][0]["message"]  # the offset is said, not made the field


async def test_a_405_lists_every_method_the_path_allows(system: System) -> None:
    spec = await spec_of(system)
    assert {p for p, item in spec["paths"].items() if len(item) > 1} >= {"/api/v1/units", "/api/v1/categories"}
    for path, item in spec["paths"].items():
        allowed = sorted(m.upper() for m in item if m in METHODS)
        concrete = re.sub(r"{(\w+)}", lambda m: {"unit_id": "e2e-unit", "year": "2025", "period": "2025-Q1",
                                                  "declaration": "relatives"}.get(m.group(1), str(uuid.uuid4())), path)
        r = await system.client.request("PUT", concrete, headers=system.auth())
        assert_problem(r, 405)
        assert r.headers["allow"] == ", ".join(allowed), (path, r.headers["allow"])


@pytest.mark.parametrize(("name", "value"), [
    ("as_of", "0"), ("as_of", "20250101"), ("as_of", "1.5"), ("as_of", "-1"), ("as_of", "2026-1-1"),
    ("known_at", "0"), ("known_at", "1700000000"), ("known_at", "1700000000.5"), ("known_at", "2026-01-01"),
])
async def test_dates_and_times_given_as_bare_numbers_are_refused(system: System, name: str, value: str) -> None:
    cadre_id = await register(system)
    r = await system.client.get(f"/api/v1/cadres/{cadre_id}/score", params={name: value}, headers=system.auth())
    assert_problem(r, 422, name)
    r = await system.client.get("/api/v1/screenings", params={name: value}, headers=system.auth())
    assert_problem(r, 422, name)


async def test_a_date_in_a_body_given_as_a_number_is_refused(system: System) -> None:
    cadre_id = await register(system)
    for value in (0, 1735689600):
        r = await system.client.post(f"/api/v1/cadres/{cadre_id}/entries", json=entry(effective_date=value),
                                     headers={**system.auth(), **key()})
        assert_problem(r, 422, "effective_date")


async def test_a_time_without_its_offset_and_a_date_out_of_range_are_refused_by_name(system: System) -> None:
    cadre_id = await register(system)
    for params, field, rule in [({"known_at": "2026-01-01T08:00:00"}, "known_at", "timezone_required"),
                                ({"as_of": "1949-09-30"}, "as_of", "date_range"),
                                ({"known_at": "2200-01-01T00:00:00+08:00"}, "known_at", "date_range")]:
        r = await system.client.get(f"/api/v1/cadres/{cadre_id}/score", params=params, headers=system.auth())
        assert_problem(r, 422, field, rule)
    ok = await system.client.get(f"/api/v1/cadres/{cadre_id}/score", headers=system.auth(), params={
        "as_of": "1949-10-01", "known_at": "2026-01-01T08:00:00.123456Z"})
    assert ok.status_code == 200, ok.text


async def test_the_schema_states_the_rules_it_enforces(system: System) -> None:
    spec = await spec_of(system)
    schemas = spec["components"]["schemas"]

    def parameter(path: str, name: str, method: str = "get") -> dict[str, Any]:
        [p] = [p for p in spec["paths"][path][method]["parameters"] if p["name"] == name]
        return p

    as_of = parameter("/api/v1/cadres/{cadre_id}/score", "as_of")
    [date] = [s for s in as_of["schema"]["anyOf"] if s.get("type") == "string"]
    assert date["pattern"] and date["formatMinimum"] == "1949-10-01" and date["formatMaximum"] == "2199-12-31"
    assert "1949-10-01" in as_of["description"]
    known_at = parameter("/api/v1/cadres/{cadre_id}/score", "known_at")
    [moment] = [s for s in known_at["schema"]["anyOf"] if s.get("type") == "string"]
    assert not re.fullmatch(moment["pattern"], "2026-01-01T08:00:00") and re.fullmatch(moment["pattern"],
                                                                                         "2026-01-01T08:00:00+08:00")
    for path, name in (("/api/v1/warnings", "cursor"), ("/api/v1/access-log", "cursor")):
        cursor = parameter(path, name)
        assert any("pattern" in s for s in cursor["schema"].get("anyOf", [cursor["schema"]])), path
    assert "cursor_format" in parameter("/api/v1/warnings", "cursor")["description"]
    assert "class_or_team" in spec["paths"]["/api/v1/rankings"]["get"]["description"]
    # Every free text of a write refuses control characters; its schema says so, nested texts included.
    assert schemas["RegisterCadre"]["properties"]["name"]["pattern"] == NO_CONTROL_CHARACTERS
    assert schemas["Basis"]["properties"]["reason"]["pattern"] == NO_CONTROL_CHARACTERS
    # A date has its format, and a pattern only for its range (no record predates 1949-10-01).
    assert schemas["RecordEntry"]["properties"]["effective_date"]["pattern"] == RECORD_DATE


class Conformance:
    """Each 2xx answer, checked against the schema the spec declares for its operation."""

    def __init__(self, system: System, spec: dict[str, Any]) -> None:
        self.system, self.spec, self.checked = system, spec, set[tuple[str, str]]()

    async def call(self, method: str, template: str, role: str = "clerk", subject: str = "clerk-1",
                   body: Any = None, **params: Any) -> dict[str, Any]:
        path = template.format(**{k: params.pop(k) for k in re.findall(r"{(\w+)}", template)})
        headers = {**self.system.auth(role, subject), **(key() if method == "post" else {})}
        r = await self.system.client.request(method.upper(), f"/api/v1{path}", json=body, params=params,
                                             headers=headers)
        assert r.status_code < 300, (method, template, r.text)
        _, schema = answer_schema(self.spec["paths"][f"/api/v1{template}"][method])
        validator = Draft202012Validator({**schema, "components": self.spec["components"]},
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(r.json())]
        assert not errors, (method, template, errors)
        self.checked.add((method, f"/api/v1{template}"))
        return r.json()


async def test_every_operation_answers_what_its_schema_says(system: System) -> None:
    spec = await spec_of(system)
    c = Conformance(system, spec)
    E, year = REQUEST_EXAMPLES, today().year - 1
    unit = system.unit_id
    await c.call("post", "/units", body={**E["register_unit"], "unit_id": f"u-{uuid.uuid4().hex[:8]}",
                                          "parent_id": "e2e-county"})
    await c.call("post", "/units/{unit_id}/team-grades/{year}", body=E["record_team_grade"], unit_id=unit, year=year)
    await c.call("post", "/units/{unit_id}/target-evaluations/{year}", body=E["record_target_evaluation"],
                 unit_id=unit, year=year)
    await c.call("post", "/categories", body=E["define_category"])
    cid = (await c.call("post", "/cadres", body={"name": "张伟", "unit_id": unit}))["id"]
    chief = (await c.call("post", "/cadres", body={"name": "王局长", "unit_id": unit}))["id"]
    post = {**E["assign_post"], "unit_id": unit, "leadership": "deputy", "start_date": f"{year - 4}-01-01"}
    await c.call("post", "/cadres/{cadre_id}/posts", body={**post, "leadership": "chief"}, cadre_id=chief)
    pid = (await c.call("post", "/cadres/{cadre_id}/posts", body=post, cadre_id=cid))["post_id"]
    await c.call("post", "/cadres/{cadre_id}/posts/{post_id}/end", body={**E["end_post"], "end_date": f"{year}-06-01"},
                 cadre_id=cid, post_id=pid)
    await c.call("post", "/cadres/{cadre_id}/transfer", body={**E["transfer"], "unit_id": unit,
                                                               "start_date": f"{year}-06-02"}, cadre_id=cid)
    me, boss = {"role": "cadre", "subject": cid}, {"role": "leader", "subject": chief}
    await c.call("post", "/cadres/{cadre_id}/basics", body=E["record_basics"], cadre_id=cid, **me)
    await c.call("post", "/cadres/{cadre_id}/self-evaluation", body=E["write_self_evaluation"], cadre_id=cid, **me)
    ach = "/cadres/{cadre_id}/achievements"
    a1 = (await c.call("post", ach, body={**E["claim_achievement"], "effective_date": f"{year}-03-01"},
                       cadre_id=cid, **me))["achievement_id"]
    a2 = (await c.call("post", ach, body={**E["claim_achievement"], "title": "重复"}, cadre_id=cid, **me))["achievement_id"]
    await c.call("post", ach + "/{achievement_id}/verification", body=E["verify_achievement"], cadre_id=cid,
                 achievement_id=a1, **boss)
    await c.call("post", ach + "/{achievement_id}/rejection", body=E["reject_achievement"], cadre_id=cid,
                 achievement_id=a2, **boss)
    reports = "/cadres/{cadre_id}/quarterly-reports/{period}"
    for period, decision, verb in ((f"{year}-Q1", "endorsement", "endorse_report"), (f"{year}-Q2", "return",
                                                                                    "return_report")):
        await c.call("post", reports + "/draft", body=E["save_report"], cadre_id=cid, period=period, **me)
        await c.call("post", reports + "/submission", body={}, cadre_id=cid, period=period, **me)
        await c.call("post", reports + f"/{decision}", body=E[verb], cadre_id=cid, period=period, **boss)
    entries = "/cadres/{cadre_id}/entries"
    e1 = (await c.call("post", entries, body=entry(), cadre_id=cid))["entry_id"]
    e2 = (await c.call("post", entries, body=entry(kind="negative", category="work_style", points=-1),
                       cadre_id=cid))["entry_id"]
    await c.call("post", entries + "/{entry_id}/amendment", body=E["amend_entry"], cadre_id=cid, entry_id=e1)
    appeal = (await c.call("post", entries + "/{entry_id}/appeals", body=E["file_appeal"], cadre_id=cid,
                           entry_id=e2, **me))["appeal_id"]
    await c.call("post", "/cadres/{cadre_id}/appeals/{appeal_id}/decision", body=E["decide_appeal"], cadre_id=cid,
                 appeal_id=appeal)
    await c.call("post", entries + "/{entry_id}/revocation", body=E["revoke_entry"], cadre_id=cid, entry_id=e2)
    for suffix, op, when in (("annual-grade", "record_annual_grade", year),
                             ("appraisal-level", "record_appraisal_level", year),
                             ("democratic-evaluation", "record_democratic_evaluation", year),
                             ("scores", "record_scores", year), ("integrity-veto", "record_integrity_veto", year - 1)):
        await c.call("post", f"/cadres/{{cadre_id}}/assessments/{{year}}/{suffix}", body=E[op], cadre_id=cid, year=when)
    await c.call("post", "/cadres/{cadre_id}/declarations/{declaration}", body=E["record_declaration"], cadre_id=cid,
                 declaration="relatives")
    await score_when(system, cid, 6)  # the amended entry (2) and the verified achievement (4); not the revoked one
    for template, params in [("", {}), ("/dossier", {}), ("/appraisal-sheet", {"year": year}), ("/events", {}),
                             ("/score", {}), ("/screening", {})]:
        await c.call("get", f"/cadres/{{cadre_id}}{template}", cadre_id=cid, **params)
    await c.call("get", "/cadres/{cadre_id}/dossier", role="leader", subject=chief, cadre_id=cid)  # masked
    form = await c.call("get", "/cadres/{cadre_id}/assessment-form", cadre_id=cid, year=year)
    await c.call("get", "/cadres/{cadre_id}/printed-hash", cadre_id=cid, hash=form["hash"])
    await c.call("get", "/imports/template", operation="record_entry")
    await c.call("get", "/units")
    await c.call("get", "/units/{unit_id}", unit_id=unit)
    await c.call("get", "/categories")
    await c.call("get", "/screenings")
    await c.call("get", "/rankings", **{"class": "economic_development", "leadership": "deputy"})
    await c.call("get", "/rankings", team=unit)
    await c.call("post", "/what-if", body=E_WHAT_IF)
    await c.call("post", "/jobs/daily-refresh", role="system_admin", subject="admin")
    await c.call("get", "/warnings", status="all", limit=1)
    await c.call("get", "/cadres", name="张", leadership="member", limit=1)
    await c.call("post", reports + "/draft", body=E["save_report"], cadre_id=cid, period=f"{year}-Q3", **me)
    await c.call("post", reports + "/submission", body={}, cadre_id=cid, period=f"{year}-Q3", **me)
    assert (await c.call("get", "/tasks", **boss))["tasks"], "a report awaits the leader"
    await c.call("get", "/access-log", role="audit_admin", subject="audit", limit=2)
    await import_rows(c, cid)
    await assessment_calls(c, unit, cid, year)
    await portrait_calls(c, unit, cid, chief)
    assert c.checked == {(m, p) for m, p, _ in operations(spec)}


async def portrait_calls(c: Conformance, unit: str, cadre_id: str, chief: str) -> None:
    """Knowing people and teams (issue 20): the facts a portrait needs, the portrait, the search, the team."""
    E = REQUEST_EXAMPLES
    for suffix, op in (("education", "record_education"), ("expertise", "record_expertise"),
                       ("external-results", "record_external_result")):
        r = await c.call("post", f"/cadres/{{cadre_id}}/{suffix}", body=E[op], cadre_id=cadre_id)
    await c.call("post", "/cadres/{cadre_id}/external-results/{result_id}/revocation", body=E["revoke_external_result"],
                 cadre_id=cadre_id, result_id=r["result_id"])
    await c.call("get", "/cadres/{cadre_id}/portrait", cadre_id=cadre_id)
    await c.call("get", "/cadre-search", familiar_field="finance", sort="-age", limit=5)
    await c.call("get", "/units/{unit_id}/team", unit_id=unit)
    await c.call("post", "/teams/what-if", body={"moves": [{"kind": "out", "cadre_id": chief, "unit_id": unit}]})


async def assessment_calls(c: Conformance, unit: str, cadre_id: str, year: int) -> None:
    """The annual assessment's writes and reads (issue 16), each answer checked against its schema."""
    E = REQUEST_EXAMPLES
    scheme_id = f"contract-{uuid.uuid4().hex[:8]}"
    scheme = {**E["publish_assessment_scheme"]["scheme"], "id": scheme_id, "effective_from": f"{year}-01-01",
              "effective_to": f"{year}-12-31"}
    await c.call("post", "/assessments", body={"scheme": scheme})
    units, cadres = "/units/{unit_id}/assessments/{year}", "/cadres/{cadre_id}/assessments/{year}"
    at = {"effective_date": f"{year}-06-30", "scheme_id": scheme_id}
    r = await c.call("post", units + "/readings", body={**E["record_unit_assessment_reading"], **at,
                                                        "period": f"{year}-06"}, unit_id=unit, year=year)
    await c.call("post", units + "/evaluation-scores", body={**E["record_unit_evaluation_score"], **at,
                                                             "period": f"{year}-Q2"}, unit_id=unit, year=year)
    await c.call("post", units + "/constraint-breaches", body={**E["record_unit_constraint_breach"], **at},
                 unit_id=unit, year=year)
    await c.call("post", units + "/inputs/{input_id}/revocation", body=E["revoke_unit_assessment_input"],
                 unit_id=unit, year=year, input_id=r["input_id"])
    cadre_scheme = {**CADRE_SCHEME, "id": f"{scheme_id}-cadres", "effective_from": f"{year}-01-01"}
    await c.call("post", "/assessments", body={"scheme": cadre_scheme})
    at = {**at, "scheme_id": cadre_scheme["id"]}
    r = await c.call("post", cadres + "/readings", body={**E["record_cadre_assessment_reading"], **at,
                                                         "period": str(year)}, cadre_id=cadre_id, year=year)
    await c.call("post", cadres + "/evaluation-scores", body={**E["record_cadre_evaluation_score"], **at,
                                                              "period": str(year)}, cadre_id=cadre_id, year=year)
    await c.call("post", cadres + "/inputs/{input_id}/revocation", body=E["revoke_cadre_assessment_input"],
                 cadre_id=cadre_id, year=year, input_id=r["input_id"])

    async def computed() -> None:
        found = await c.call("get", "/assessments/{scheme_id}/results", scheme_id=scheme_id, year=year)
        assert unit in {r["subject_id"] for r in found["results"]}

    await c.call("post", units + "/decision", body={**E["decide_unit_assessment_grade"], "scheme_id": scheme_id},
                 unit_id=unit, year=year)
    await c.call("post", cadres + "/decision", body={**E["decide_cadre_assessment_grade"], "reason": "综合考评决定",
                                                     "scheme_id": cadre_scheme["id"]},
                 cadre_id=cadre_id, year=year)
    await eventually(computed)
    await c.call("get", "/assessments/{scheme_id}/subjects/{subject_id}", scheme_id=scheme_id, subject_id=unit,
                 year=year)
    # its consequences (step 5): graded 不达标 on review, the unit owes a report, then files it; and a what-if
    await c.call("post", units + "/decision", body={"scheme_id": scheme_id, "subject_kind": "unit", "grade": "fail",
                                                    "reason": "复核"}, unit_id=unit, year=year)
    await c.call("post", units + "/rectification-report", unit_id=unit, year=year,
                 body={**E["file_unit_rectification_report"], "scheme_id": scheme_id})
    await c.call("get", "/assessments/{scheme_id}/consequences", scheme_id=scheme_id, year=year)
    proposed = {**scheme, "version": 2}
    await c.call("post", "/assessments/{scheme_id}/what-if", body={"scheme": proposed}, scheme_id=scheme_id,
                 year=year)
    # tracking through the year (step 6): a notice issued and answered, the bulletin and both lists
    indicator = next(i["id"] for i in scheme["indicators"] if i["kind"] == "data")
    notice = await c.call("post", units + "/notices", unit_id=unit, year=year, body={
        **E["issue_unit_assessment_notice"], "scheme_id": scheme_id, "indicator_id": indicator,
        "period": f"{year}-06", "effective_date": f"{year}-07-05"})
    await c.call("post", units + "/notices/{notice_id}/answer", unit_id=unit, year=year,
                 notice_id=notice["notice_id"], body={**E["answer_unit_assessment_notice"],
                                                      "effective_date": f"{year}-07-18"})
    await c.call("get", "/assessments/{scheme_id}/bulletins/{period}", scheme_id=scheme_id, period=f"{year}-Q2")
    await c.call("get", "/assessments/{scheme_id}/warning-notices", scheme_id=scheme_id, year=year)
    await c.call("get", "/assessments/{scheme_id}/notices", scheme_id=scheme_id, year=year)


E_WHAT_IF = {"id": "stricter", "version": 1, "effective_from": "2027-01-01", "window_years": 3,
             "category_weights": {"honour": 1.5}, "screening": {"mass_satisfaction_min": 95}}


async def import_rows(c: Conformance, cadre_id: str) -> None:
    rows = (f'{{"row_key": "{uuid.uuid4()}", "operation": "record_entry", "params": {{"cadre_id": "{cadre_id}"}}, '
            f'"body": {{"kind": "positive", "category": "honour", "title": "导入", "points": 1, '
            f'"effective_date": "{(today() - dt.timedelta(days=3)).isoformat()}", '
            f'"basis": {{"reason": "r", "document": "d"}}}}}}\n{{"row_key": "x", "operation": "record_entry"}}\n')
    r = await c.system.client.post("/api/v1/imports", content=rows.encode(), headers={
        **c.system.auth(), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    _, schema = answer_schema(c.spec["paths"]["/api/v1/imports"]["post"])
    Draft202012Validator({**schema, "components": c.spec["components"]}).validate(r.json())
    assert r.json()["recorded"] == 1 and r.json()["refused"] == 1
    c.checked.add(("post", "/api/v1/imports"))


def test_an_answer_model_refuses_a_field_it_does_not_name() -> None:
    from shared.answers import Cadre
    with pytest.raises(ValueError, match="Extra inputs"):
        Cadre.model_validate({"id": str(uuid.uuid4()), "name": "x", "unit_id": "u", "version": 1, "more": 1})

