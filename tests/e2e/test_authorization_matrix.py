"""The authorization matrix: every role x every public operation x an own / in-jurisdiction /
out-of-jurisdiction object, each cell with its expected answer, run through the real gateway.

A = the request reached the service (not refused by authorization), F = 403 forbidden,
H = 404 not-found, answered exactly like an id that does not exist. ``EXPECTED`` must name every
operation of the gateway: a new endpoint without its row fails ``test_every_operation_has_a_row``.

The world (embedded wiring): city > county > {unit, unit2}, city > other > other-unit.
  L: chief of unit (the leader), C: member of unit (the cadre, L's subordinate),
  D: member of unit2 (in the county, nobody's subordinate here), X: chief of other-unit (so that it is
  ranked, among the chiefs, in the city but not in the county).
Tokens: cadre = C, leader = L (both unit), clerk and auditor of the county, administrators of the city.
Objects per column: cadre objects own = C, in = D, out = X; unit objects own = unit, in = unit2,
out = other-unit. Conditional writes carry ``If-Match: "0"``, so an allowed one reaches the dossier
and is refused there (412) without changing the world for the next cell.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from services.embedded import EmbeddedSystem, embedded_system
from services.gateway.docs import REQUEST_EXAMPLES
from shared.answers.assessments import EXAMPLE_SCHEME as ASSESSMENT_SCHEME
from shared.commands import OPERATIONS
from tests.e2e.test_gateway import key
from tests.e2e.test_scoring_features import eventually
from tests.support.operations import PUBLIC_OPERATIONS

ROLES = ("cadre", "leader", "clerk", "auditor", "system_admin", "security_admin", "audit_admin")
COLUMNS = ("own", "in", "out")
NONE = "FFF"
ADMINS_NONE = {"system_admin": NONE, "security_admin": NONE, "audit_admin": NONE}


def row(cadre: str = NONE, leader: str = NONE, clerk: str = NONE, auditor: str = NONE, **admins: str) -> dict[str, str]:
    return {"cadre": cadre, "leader": leader, "clerk": clerk, "auditor": auditor, **ADMINS_NONE, **admins}


CADRE_READ = row("AHH", "AHH", "AAH", "AAH")
OWN_DRAFT = row("AHH", "FHH")
SUPERIOR_ACT = row(leader="AHH")
CLERK_WRITE = row(clerk="AAH")
EVERY_DOSSIER_ROLE = row("AAA", "AAA", "AAA", "AAA")

EXPECTED: dict[str, dict[str, str]] = {
    # writes on units and the catalogue
    "register_unit": CLERK_WRITE,
    "record_team_grade": CLERK_WRITE,
    "record_target_evaluation": CLERK_WRITE,
    "define_category": row(),  # the county clerk is not top-level (test_only_a_top_level_clerk_defines_categories)
    "register_cadre": CLERK_WRITE,
    # writes on a cadre's dossier
    "record_basics": OWN_DRAFT,
    "write_self_evaluation": OWN_DRAFT,
    "claim_achievement": OWN_DRAFT,
    "save_report": OWN_DRAFT,
    "submit_report": OWN_DRAFT,
    "file_appeal": OWN_DRAFT,
    "verify_achievement": SUPERIOR_ACT,
    "reject_achievement": SUPERIOR_ACT,
    "endorse_report": SUPERIOR_ACT,
    "return_report": SUPERIOR_ACT,
    "assign_post": CLERK_WRITE,
    "end_post": CLERK_WRITE,
    "transfer": CLERK_WRITE,
    "record_entry": CLERK_WRITE,
    "amend_entry": CLERK_WRITE,
    "revoke_entry": CLERK_WRITE,
    "decide_appeal": CLERK_WRITE,
    "record_annual_grade": CLERK_WRITE,
    "record_appraisal_level": CLERK_WRITE,
    "record_democratic_evaluation": CLERK_WRITE,
    "record_scores": CLERK_WRITE,
    "record_integrity_veto": CLERK_WRITE,
    "record_declaration": CLERK_WRITE,
    # the facts a portrait needs (issue 20)
    "record_education": CLERK_WRITE,
    "record_expertise": CLERK_WRITE,
    "record_external_result": CLERK_WRITE,
    "revoke_external_result": CLERK_WRITE,
    # knowing people and teams (issue 20): the organization department's reads of its jurisdiction
    "get_portrait": row(clerk="AAH", auditor="AAH"),
    "cadre_search": row(clerk="AAH", auditor="AAH"),
    "team_report": row(clerk="AAH", auditor="AAH"),
    "team_what_if": CLERK_WRITE,
    # reads of one cadre
    "get_cadre": CADRE_READ,
    "get_dossier": CADRE_READ,
    "get_appraisal_sheet": CADRE_READ,
    "cadre_events": CADRE_READ,
    "cadre_score": CADRE_READ,
    "cadre_screening": CADRE_READ,
    "list_warnings": CADRE_READ,
    "assessment_form": CADRE_READ,
    "printed_hash": CADRE_READ,
    # units and the catalogue (a cadre's and a leader's token names their unit: its subtree is theirs)
    "list_units": EVERY_DOSSIER_ROLE,
    "get_unit": row("AHH", "AHH", "AAH", "AAH"),
    "list_categories": EVERY_DOSSIER_ROLE,
    # a jurisdiction's lists
    "screenings": row(clerk="AAH", auditor="AAH"),
    "rankings": row(clerk="AAH", auditor="AAH"),
    "what_if": CLERK_WRITE,
    # finding cadres and what waits (issue 15): a leader's tasks are their own, a clerk's their jurisdiction's
    "list_cadres": row(clerk="AAH", auditor="AAH"),
    "list_tasks": row(leader="AAA", clerk="AAA"),
    # operations and audit
    "daily_refresh": row(system_admin="AAA"),
    "bulk_import": row(),  # the county clerk is not top-level (test_only_a_top_level_clerk_imports)
    "access_log": row(auditor="AAH", audit_admin="AAA"),
    # the annual comprehensive assessment (issue 16)
    "publish_assessment_scheme": row(),  # the county clerk is not top-level: the assessment office publishes
    "record_unit_assessment_reading": CLERK_WRITE,
    "record_unit_evaluation_score": CLERK_WRITE,
    "record_unit_constraint_breach": CLERK_WRITE,
    "revoke_unit_assessment_input": CLERK_WRITE,
    "record_cadre_assessment_reading": CLERK_WRITE,
    "record_cadre_evaluation_score": CLERK_WRITE,
    "revoke_cadre_assessment_input": CLERK_WRITE,
    "decide_unit_assessment_grade": CLERK_WRITE,
    "decide_cadre_assessment_grade": CLERK_WRITE,
    "file_unit_rectification_report": CLERK_WRITE,
    # the assessment's reads: a clerk or auditor reads the subjects of their jurisdiction (the lists are filtered
    # to them; one subject outside it is hidden like a cadre); the what-if is a clerk's
    "assessment_results": row(clerk="AAA", auditor="AAA"),
    "assessment_subject": row(clerk="AAH", auditor="AAH"),
    "assessment_consequences": row(clerk="AAA", auditor="AAA"),
    "assessment_what_if": row(clerk="AAA"),
    # tracking through the year (step 6): read like the results, cut to the caller's subjects
    "assessment_bulletins": row(clerk="AAA", auditor="AAA"),
    "assessment_warning_notices": row(clerk="AAA", auditor="AAA"),
    "assessment_notices": row(clerk="AAA", auditor="AAA"),
    "issue_unit_assessment_notice": CLERK_WRITE,  # its notices (通知单): written like the other inputs
    "answer_unit_assessment_notice": CLERK_WRITE,
    "import_template": row(clerk="AAA"),  # names no object: any clerk may see what a file holds
}

# Every write's body is the documented example of the public spec (so the examples stay valid).
BODIES = {**REQUEST_EXAMPLES, "define_category": {**REQUEST_EXAMPLES["define_category"], "code": "matrix_cat"}}
RULE_SET = {"id": "matrix", "version": 1, "effective_from": "2027-01-01", "window_years": 3,
            "category_weights": {}, "screening": {"mass_satisfaction_min": 85, "years_in_post_min": 3,
                                                  "execution_negative_categories": [], "third_prize_bar_years": 1}}


@dataclass
class World:
    system: EmbeddedSystem
    client: httpx.AsyncClient
    cadres: dict[str, str]  # C, D, L, X -> id
    units: ClassVar[dict[str, str]] = {"own": "m-unit", "in": "m-unit2", "out": "m-other-unit"}

    def token(self, role: str) -> dict[str, str]:
        subject, unit = {"cadre": (self.cadres["C"], "m-unit"), "leader": (self.cadres["L"], "m-unit"),
                         "clerk": ("clerk-m", "m-county"), "auditor": ("auditor-m", "m-county")}.get(
                             role, (f"{role}-m", "m-city"))
        return {"Authorization": f"Bearer {self.system.token(role=role, subject=subject, unit=unit)}"}

    def cadre(self, column: str) -> str:
        return self.cadres[{"own": "C", "in": "D", "out": "X"}[column]]


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with embedded_system(tmp_path_factory.mktemp("matrix"), demo=False) as system:
        transport = httpx.ASGITransport(app=system.gateway)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            city = {"Authorization": f"Bearer {system.token(role='clerk', subject='city-clerk', unit='m-city')}"}

            async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
                r = await client.post(f"/api/v1{path}", json=body, headers={**city, "Idempotency-Key": str(uuid.uuid4())})
                assert r.status_code == 201, r.text
                return r.json()

            for unit_id, parent, level in (("m-city", None, "city"), ("m-county", "m-city", "county"),
                                           ("m-unit", "m-county", "unit"), ("m-unit2", "m-county", "unit"),
                                           ("m-other", "m-city", "county"), ("m-other-unit", "m-other", "unit")):
                await post("/units", {"unit_id": unit_id, "name": unit_id, "parent_id": parent, "level": level,
                                      "unit_class": "economic_development"})
            cadres = {}
            for name, unit, leadership in (("L", "m-unit", "chief"), ("C", "m-unit", "member"),
                                           ("D", "m-unit2", "member"), ("X", "m-other-unit", "chief")):
                cadres[name] = (await post("/cadres", {"name": name, "unit_id": unit}))["id"]
                await post(f"/cadres/{cadres[name]}/posts", {"unit_id": unit, "position": name, "rank": "科级",
                                                             "leadership": leadership, "start_date": "2020-01-01"})
            yield World(system, client, cadres)


def operations(app: Any) -> dict[str, tuple[str, str]]:
    """Every public operation of the gateway: name -> (method, path)."""
    return {route.name: (method, route.path) for route in app.routes
            if getattr(route, "path", "").startswith("/api/v1") for method in route.methods}


def request_for(world: World, name: str, method: str, path: str, column: str) -> dict[str, Any]:
    """The request of one cell: the object of ``column`` in the path, the query or the body."""
    cadre, unit = world.cadre(column), world.units[column]
    filled = path.format(cadre_id=cadre, unit_id=unit, entry_id=uuid.uuid4(), appeal_id=uuid.uuid4(),
                         achievement_id=uuid.uuid4(), post_id=uuid.uuid4(), year=2025, period="2025-Q4",
                         declaration="relatives", scheme_id="matrix-scheme", input_id=uuid.uuid4(),
                         notice_id=uuid.uuid4(), result_id=uuid.uuid4(),
                         subject_id=unit)
    params: dict[str, Any] = {}
    body: dict[str, Any] | None = dict(BODIES.get(name, {})) if method == "POST" else None
    headers = {"Idempotency-Key": str(uuid.uuid4())} if method == "POST" else {}
    op = next((o for o in OPERATIONS if o.name == name), None)
    if op is not None and op.conditional:
        headers["If-Match"] = '"0"'
    match name:
        case "register_unit":
            body = {"unit_id": f"m-new-{uuid.uuid4().hex[:8]}", "name": "新", "parent_id": unit, "level": "unit",
                    "unit_class": "economic_development"}
        case "register_cadre":
            body = {"name": "新人", "unit_id": unit}
        case "assign_post" | "transfer":
            body = {**(body or {}), "unit_id": world.units["in"]}  # a unit of the clerk's: only the cadre varies
        case "get_appraisal_sheet" | "assessment_form":
            params = {"year": 2025}
        case "printed_hash":
            params = {"hash": "sm3:" + "0" * 64}
        case "import_template":
            params = {"operation": "record_entry"}
        case "list_warnings" | "access_log":
            params = {"cadre_id": cadre, "status": "all"} if name == "list_warnings" else {"cadre_id": cadre}
        case "screenings" | "what_if" | "list_cadres" | "cadre_search":
            params = {"unit": unit}
        case "team_what_if":
            body = {"moves": [{"kind": "out", "cadre_id": cadre, "unit_id": unit}]}
        case "rankings":
            params = {"team": unit}
        case ("assessment_results" | "assessment_subject" | "assessment_consequences" | "assessment_what_if"
              | "assessment_warning_notices" | "assessment_notices"):
            params = {"year": 2025}
        case _:
            pass
    if name == "what_if":
        body = RULE_SET
    if name == "assessment_what_if":
        headers.pop("Idempotency-Key")
        body = {"scheme": ASSESSMENT_SCHEME}
    return {"method": method, "url": filled, "params": params, "json": body, "headers": headers}


def verdict(r: httpx.Response) -> str:
    if r.status_code == 403 and r.json().get("rule") == "role_permission":
        return "F"
    if r.status_code == 404 and r.json().get("rule") == "object_visible":
        return "H"
    # A validation error comes before authorization: the cell would prove nothing.
    assert r.status_code < 500 and r.status_code not in (401, 403), r.text
    assert not r.json().get("type", "").endswith(":validation-error") if r.status_code == 422 else True, r.text
    return "A"


def test_every_operation_has_a_row(tmp_path: Path) -> None:
    from services.gateway.auth import TokenVerifier
    from services.gateway.bootstrap import build_app
    from services.gateway.settings import GatewaySettings
    from tests.support.keys import public_pem, service_signer

    app = build_app(GatewaySettings(), verifier=TokenVerifier(public_pem()), signer=service_signer())
    assert set(operations(app)) == set(EXPECTED), "give every public operation its row in EXPECTED"
    assert all(set(cells) == set(ROLES) and all(len(c) == 3 for c in cells.values()) for cells in EXPECTED.values())


async def test_the_matrix(world: World) -> None:
    found: dict[str, dict[str, str]] = {}
    for name, (method, path) in sorted(operations(world.system.gateway).items()):
        for role in ROLES:
            cells = ""
            for column in COLUMNS:
                spec = request_for(world, name, method, path, column)
                spec["headers"].update(world.token(role))
                r = await world.client.request(spec.pop("method"), spec.pop("url"), **spec)
                cells += verdict(r)
            found.setdefault(name, {})[role] = cells
    mismatches = {f"{name} {role}": f"expected {EXPECTED[name][role]}, got {cells}"
                  for name, row_ in found.items() for role, cells in row_.items() if EXPECTED[name][role] != cells}
    assert not mismatches, json.dumps(mismatches, indent=1, ensure_ascii=False)
    cells = sum(len(c) for row_ in found.values() for c in row_.values())
    assert len(EXPECTED) == PUBLIC_OPERATIONS and cells == PUBLIC_OPERATIONS * len(ROLES) * len(COLUMNS)


async def test_a_hidden_cadre_answers_exactly_like_one_that_does_not_exist(world: World) -> None:
    clerk = world.token("clerk")
    hidden = await world.client.get(f"/api/v1/cadres/{world.cadre('out')}/dossier", headers=clerk)
    absent = await world.client.get(f"/api/v1/cadres/{uuid.uuid4()}/dossier", headers=clerk)
    assert hidden.status_code == absent.status_code == 404
    strip = lambda r: {k: v for k, v in r.json().items() if k != "instance"}  # noqa: E731
    assert strip(hidden) == strip(absent)


async def test_only_a_top_level_clerk_defines_categories(world: World) -> None:
    body = {**BODIES["define_category"], "code": f"m_{uuid.uuid4().hex[:6]}"}
    city = {"Authorization": f"Bearer {world.system.token(role='clerk', subject='city-clerk', unit='m-city')}"}
    r = await world.client.post("/api/v1/categories", json=body, headers={**city, "Idempotency-Key": "cat-1"})
    assert r.status_code == 201, r.text
    r = await world.client.post("/api/v1/categories", json=body,
                                headers={**world.token("clerk"), "Idempotency-Key": "cat-2"})
    assert r.status_code == 403 and r.json()["rule"] == "role_permission"


async def test_only_a_top_level_clerk_imports(world: World) -> None:
    row_ = {"row_key": f"m-{uuid.uuid4().hex[:6]}", "operation": "record_entry", "params": {"cadre_id": world.cadre("out")},
            "body": BODIES["record_entry"]}
    city = {"Authorization": f"Bearer {world.system.token(role='clerk', subject='city-clerk', unit='m-city')}"}
    send = {"content": json.dumps(row_) + "\n", "url": "/api/v1/imports"}
    r = await world.client.post(**send, headers={**world.token("clerk"), "Content-Type": "application/x-ndjson"})
    assert (r.status_code, r.json()["rule"]) == (403, "role_permission"), r.text
    r = await world.client.post(**send, headers={**city, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    report = {k: v for k, v in r.json().items() if k not in ("seconds", "events_per_second")}
    assert report == {"rows": 1, "recorded": 1, "replayed": 0, "refused": 0, "events": 1, "errors": [],
                      "errors_listed": 0}, r.text
    r = await world.client.post(**send, headers={**city, "Content-Type": "application/x-ndjson"})
    assert (r.json()["recorded"], r.json()["replayed"]) == (0, 1), r.text  # the row key: once only


async def test_the_daily_refresh_answers_what_it_did(world: World) -> None:
    admin = {**world.token("system_admin"), "Idempotency-Key": str(uuid.uuid4())}
    as_of = "2026-11-21"
    first = await world.client.post("/api/v1/jobs/daily-refresh", params={"as_of": as_of}, headers=admin)
    assert first.status_code == 200, first.text
    done = first.json()
    assert set(done) == {"as_of", "cadres", "raised", "cleared", "totals_published"}, done
    assert done["as_of"] == as_of and done["cadres"] >= len(world.cadres), done

    async def quiet() -> None:
        # the same day again, once scoring has applied every write (an earlier test's import may still be on
        # its way): every cadre looked at, nothing new raised, cleared or published
        again = await world.client.post("/api/v1/jobs/daily-refresh", params={"as_of": as_of},
                                        headers={**admin, "Idempotency-Key": str(uuid.uuid4())})
        assert again.json() == {**done, "raised": 0, "cleared": 0, "totals_published": 0}, again.text

    await eventually(quiet)
    refused = await world.client.post("/api/v1/jobs/daily-refresh", headers={**world.token("clerk"), **key()})
    assert (refused.status_code, refused.json()["rule"]) == (403, "role_permission"), refused.text


async def test_lists_show_only_the_callers_jurisdiction(world: World) -> None:
    units = (await world.client.get("/api/v1/units", headers=world.token("clerk"))).json()["units"]
    assert {u["unit_id"] for u in units} >= {"m-county", "m-unit", "m-unit2"}
    assert not {u["unit_id"] for u in units} & {"m-city", "m-other", "m-other-unit"}
    city = {"Authorization": f"Bearer {world.system.token(role='clerk', subject='city-clerk', unit='m-city')}"}

    def ranked(headers: dict[str, str], chiefs: set[str]):
        async def check() -> None:
            r = await world.client.get("/api/v1/rankings", params={"class": "economic_development"}, headers=headers)
            assert r.status_code == 200, r.text
            assert {(row["cadre_id"], row["unit_id"]) for row in r.json()["ranking"]} == chiefs, r.text
        return check

    # chiefs are ranked among chiefs of the class: the city sees both, the county only its own
    await eventually(ranked(city, {(world.cadres["L"], "m-unit"), (world.cadres["X"], "m-other-unit")}))
    await eventually(ranked(world.token("auditor"), {(world.cadres["L"], "m-unit")}))
