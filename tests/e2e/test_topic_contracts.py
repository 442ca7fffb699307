"""The four topics against their published schemas, read as another system reads them (kcat, the real
broker, the production wiring): every message validates, every key is what the README says, and the
topics were created with the retention the README states (issue 15)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx
import jsonschema
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from shared.answers.assessments import EXAMPLE_SCHEME
from shared.assessment_topics import CONSEQUENCES_TOPIC
from shared.contract import SCHEMA_DIR, TOPIC_KEYS, TOPIC_SCHEMAS
from shared.dead_letters import DEAD_LETTERS_TOPIC
from shared.kafka_bus import (
    consequences_topic_config,
    dead_letters_topic_config,
    events_topic_config,
    totals_topic_config,
    warnings_topic_config,
)
from shared.scoring_topics import TOTALS_TOPIC, WARNINGS_TOPIC
from shared.settings import DOSSIER_TOPIC
from tests.conftest import KAFKA
from tests.e2e import test_published_topics as published
from tests.e2e.test_gateway import BASIS, today
from tests.support.production import ProductionSystem

kcat = published.kcat
production = published.production  # the fixture: the production wiring, one per module

CONFIGS = {DOSSIER_TOPIC: events_topic_config, TOTALS_TOPIC: totals_topic_config,
           WARNINGS_TOPIC: warnings_topic_config, CONSEQUENCES_TOPIC: consequences_topic_config,
           DEAD_LETTERS_TOPIC: dead_letters_topic_config}


def schema(name: str) -> jsonschema.Draft202012Validator:
    doc = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(doc, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def topics_of(production: ProductionSystem) -> dict[str, str]:
    """The contract's topic name -> the name this production system uses (a fresh one per run)."""
    env = production.env
    return {DOSSIER_TOPIC: env["SHIJI_KAFKA_TOPIC"], TOTALS_TOPIC: env["SHIJI_KAFKA_TOTALS_TOPIC"],
            WARNINGS_TOPIC: env["SHIJI_KAFKA_WARNINGS_TOPIC"], CONSEQUENCES_TOPIC: env["SHIJI_KAFKA_CONSEQUENCES_TOPIC"]}


def created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return r.json()


async def write_a_little_of_everything(production: ProductionSystem) -> str:
    """Units, a category, a cadre with a post, entries, a correction, a revocation, an annual grade: events of
    every kind of stream, totals that change, and a warning raised and cleared."""
    auth = {"Authorization": f"Bearer {production.token(unit='tc-city')}"}
    async with httpx.AsyncClient(base_url=production.gateway_url, headers=auth, timeout=30) as client:
        async def post(path: str, body: dict[str, Any], key: str) -> dict[str, Any]:
            return created(await client.post(f"/api/v1{path}", json=body, headers={"Idempotency-Key": key}))

        await post("/units", {"unit_id": "tc-city", "name": "市", "level": "city", "unit_class": "city"}, "u1")
        await post("/units", {"unit_id": "tc-fgw", "name": "发改局", "parent_id": "tc-city", "level": "unit",
                              "unit_class": "economic_department"}, "u2")
        await post("/categories", {"code": "tc_investment", "name": "招商引资", "kind": "positive", "min_points": 1,
                                   "max_points": 5}, "cat")
        cadre = (await post("/cadres", {"name": "张伟", "unit_id": "tc-fgw"}, "c1"))["id"]
        await post(f"/cadres/{cadre}/posts", {"unit_id": "tc-fgw", "position": "局长", "rank": "正处级",
                                              "leadership": "chief", "start_date": "2020-01-01"}, "p1")
        day = (today() - dt.timedelta(days=30)).isoformat()
        negative = await post(f"/cadres/{cadre}/entries", {
            "kind": "negative", "category": "work_style", "title": "通报批评", "points": -2,
            "effective_date": day, "basis": BASIS}, "e1")
        positive = await post(f"/cadres/{cadre}/entries", {
            "kind": "positive", "category": "tc_investment", "title": "引进项目", "points": 1,
            "effective_date": day, "basis": BASIS}, "e2")
        await post(f"/cadres/{cadre}/entries/{positive['entry_id']}/amendment", {"points": 3, "reason": "复核"}, "a1")
        await post(f"/cadres/{cadre}/entries/{negative['entry_id']}/revocation", {"reason": "申诉成立"}, "r1")
        await post(f"/cadres/{cadre}/assessments/{today().year - 1}/annual-grade", {"grade": "excellent"}, "g1")
        # the city (no head recorded: no warning) graded 不达标: its consequences on the consequences topic
        await post("/assessments", {"scheme": {**EXAMPLE_SCHEME, "id": "tc-scheme"}}, "s1")
        await post(f"/units/tc-city/assessments/{today().year - 1}/decision",
                   {"scheme_id": "tc-scheme", "subject_kind": "unit", "grade": "fail"}, "d1")
    return cadre


async def test_every_message_on_each_topic_validates_against_its_schema(production: ProductionSystem) -> None:
    cadre = await write_a_little_of_everything(production)
    topics = topics_of(production)
    deadline = asyncio.get_running_loop().time() + 60
    while True:  # the red warning raised by the negative entry, then cleared by its revocation
        warnings = [json.loads(m["payload"]) for m in await asyncio.to_thread(kcat, topics[WARNINGS_TOPIC])]
        acted = await asyncio.to_thread(kcat, topics[CONSEQUENCES_TOPIC])  # and the city's two consequences
        if [w["data"]["status"] for w in warnings if w["subject"] == cadre] == ["raised", "cleared"] and len(acted) == 2:
            break
        assert asyncio.get_running_loop().time() < deadline, warnings
        await asyncio.sleep(0.5)

    seen: dict[str, set[str]] = {}
    for contract, topic in topics.items():
        validator = schema(TOPIC_SCHEMAS[contract])
        messages = await asyncio.to_thread(kcat, topic)
        assert messages, topic
        for message in messages:
            value = json.loads(message["payload"])
            validator.validate(value)
            assert message["key"] == value["subject"], "the key is the subject on every topic"
            seen.setdefault(contract, set()).add(value["type"])
            if contract == DOSSIER_TOPIC:  # and its data by its type: cn.shiji.dossier.<event_type>.v<N>
                event_type, version = value["type"].removeprefix("cn.shiji.dossier.").rsplit(".v", 1)
                schema(f"{event_type}.v{version}.json").validate(value["data"])
            else:
                assert message["key"] == value["data"][TOPIC_KEYS[contract][1]]
    # keyed by cadre id, by ``unit-<unit_id>`` and by ``catalogue`` (README, "The topics")
    keys = {m["key"] for m in await asyncio.to_thread(kcat, topics[DOSSIER_TOPIC])}
    assert {cadre, "unit-tc-city", "unit-tc-fgw", "catalogue"} <= keys
    assert {"cn.shiji.dossier.unit_registered.v1", "cn.shiji.dossier.category_defined.v1",
            "cn.shiji.dossier.entry_recorded.v2", "cn.shiji.dossier.entry_amended.v1",
            "cn.shiji.dossier.entry_revoked.v1", "cn.shiji.dossier.post_assigned.v1"} <= seen[DOSSIER_TOPIC]
    assert seen[TOTALS_TOPIC] == {"cn.shiji.scoring.totals_changed.v1"}
    assert seen[WARNINGS_TOPIC] == {"cn.shiji.scoring.warning_changed.v1"}
    assert seen[CONSEQUENCES_TOPIC] == {"cn.shiji.scoring.assessment_consequence.v1"}


def test_a_message_off_the_contract_is_refused_by_the_schemas() -> None:
    """The schemas are strict enough to catch a drift: a dossier envelope on the totals topic, a field too
    many, a wrong type name."""
    totals = schema(TOPIC_SCHEMAS[TOTALS_TOPIC])
    good = {"specversion": "1.0", "id": "0b6c8a4e-3b9e-5a55-8f44-6a4c1b2c3d4e", "source": "/shiji/scoring",
            "type": "cn.shiji.scoring.totals_changed.v1", "subject": "c1", "time": "2026-01-02T03:04:05+08:00",
            "datacontenttype": "application/json",
            "data": {"cadre_id": "c1", "as_of": "2026-01-02", "window_start": "2023-01-03",
                     "window_end": "2026-01-02", "total": 1.5, "positive": 2, "negative": -0.5,
                     "rule_set": "default@1"}}
    totals.validate(good)
    for bad in ({**good, "type": "cn.shiji.scoring.warning_changed.v1"}, {**good, "streamversion": 1},
                {**good, "data": {**good["data"], "extra": 1}}, {**good, "time": "yesterday"}):
        assert not totals.is_valid(bad), bad
    assert not schema(TOPIC_SCHEMAS[WARNINGS_TOPIC]).is_valid(good)


async def test_the_topics_are_created_with_the_contract_retention(production: ProductionSystem) -> None:
    """The production wiring's own set-up (``shiji serve``) created the scoring topics, and the test harness the
    events topic, each with its config function: what the broker says now is what the README states."""
    topics = {**topics_of(production), DEAD_LETTERS_TOPIC: production.env["SHIJI_KAFKA_DEAD_LETTERS_TOPIC"]}

    def describe() -> dict[str, dict[str, str]]:
        admin = KafkaAdminClient(**KAFKA.connection().client_options(), client_id="shiji-test")
        try:
            found = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics.values()])
        finally:
            admin.close()
        return {name: {k: v["value"] for k, v in configs.items()} for name, configs in found["topic"].items()}

    described = await asyncio.to_thread(describe)
    for contract, topic in topics.items():
        wanted = CONFIGS[contract](1)
        assert {k: described[topic].get(k) for k in wanted} == wanted, topic
    assert described[topics[DOSSIER_TOPIC]]["retention.ms"] == "-1"
    assert described[topics[TOTALS_TOPIC]]["cleanup.policy"] == "compact"
    assert described[topics[WARNINGS_TOPIC]]["retention.ms"] == str(90 * 24 * 3600 * 1000)
    assert described[topics[CONSEQUENCES_TOPIC]]["retention.ms"] == str(400 * 24 * 3600 * 1000)
    assert described[topics[DEAD_LETTERS_TOPIC]]["retention.ms"] == str(180 * 24 * 3600 * 1000)
