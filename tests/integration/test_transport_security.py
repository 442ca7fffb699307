"""Issue 19 on the servers the deploy scripts start: PostgreSQL and Kafka refuse whoever cannot prove
who they are over TLS, and each service's login may do its own work and nothing more.

These run only against the secured set-up (``deploy/local/services.sh``, secure by default); on an
unsecured one they fail, saying so, rather than skip."""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid

import asyncpg
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError, TopicAuthorizationFailedError

from services.dossier.service import DossierService
from services.dossier.store import Actor
from shared.commands import RegisterUnit
from shared.db import make_engine, upgrade_to_head
from shared.db_grants import grant_runtime_access
from shared.kafka_bus import ensure_topic, events_topic_config, totals_topic_config
from shared.kafka_connection import KafkaConnection
from tests.conftest import PG, PgDatabases
from tests.support.connections import (
    DOSSIER_OWNER,
    DOSSIER_ROLE,
    KAFKA_DOSSIER,
    KAFKA_OTHER,
    KAFKA_SCORING,
    SCORING_ROLE,
    STORE_READER,
    KafkaServer,
)

SECURED = "these tests need the secured servers: deploy/local/services.sh start (SHIJI_PG_SECURE/SHIJI_KAFKA_SECURE=1)"


@pytest.fixture
async def dossier_db(pg: PgDatabases) -> str:
    """A dossier database set up as ``shiji migrate`` does: owned and migrated by the owner role, which then
    grants the run-time role and the store reader their privileges. Its name."""
    assert PG.secured, SECURED
    name = pg.name_of(await pg.create(owner=DOSSIER_OWNER))
    owner_url = PG.url(name, DOSSIER_OWNER)
    await upgrade_to_head("dossier", owner_url)
    await grant_runtime_access("dossier", owner_url, DOSSIER_ROLE, STORE_READER)
    return name


async def record_an_event(name: str) -> None:
    """A write through the service, as its run-time role: it may append."""
    engine = make_engine(PG.url(name, DOSSIER_ROLE), pool_size=1)
    try:
        service = DossierService(engine, today=dt.date.today)
        unit = RegisterUnit(unit_id="city", name="市", level="city", unit_class="city")
        await service.execute("register_unit", unit, {}, Actor("tester", "clerk"))
    finally:
        await engine.dispose()


async def test_a_plaintext_connection_is_refused(pg: PgDatabases) -> None:
    assert PG.secured, SECURED
    for role in ("postgres", DOSSIER_ROLE):
        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="no encryption"):
            await asyncpg.connect(PG.dsn("postgres", role, tls=False))
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(PG.dsn("postgres", DOSSIER_ROLE, password="not-the-password"))
    conn = await asyncpg.connect(PG.dsn("postgres"))  # verify-full against the private CA
    try:
        assert await conn.fetchval("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") is True
    finally:
        await conn.close()


async def test_the_dossier_role_cannot_change_an_event_even_with_the_triggers_dropped(dossier_db: str) -> None:
    await record_an_event(dossier_db)
    owner = await asyncpg.connect(PG.dsn(dossier_db, DOSSIER_OWNER))
    app = await asyncpg.connect(PG.dsn(dossier_db, DOSSIER_ROLE))
    try:
        for trigger in await owner.fetch("SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass "
                                         "AND NOT tgisinternal"):
            await owner.execute(f'DROP TRIGGER "{trigger["tgname"]}" ON events')
        assert await app.fetchval("SELECT count(*) FROM events") == 1  # it reads ...
        assert not await app.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        for statement in ("UPDATE events SET actor = 'forger'", "DELETE FROM events", "TRUNCATE events"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):  # ... but no privilege lets it change one
                await app.execute(statement)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # nor the schema
            await app.execute("CREATE TABLE shadow (id int)")
        # Not vacuous: with the triggers gone, the owner could.
        assert await owner.execute("UPDATE events SET actor = actor") == "UPDATE 1"
    finally:
        await app.close()
        await owner.close()


async def test_the_scoring_role_reads_nothing_of_the_dossier_and_the_store_reader_only_events(dossier_db: str) -> None:
    await record_an_event(dossier_db)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
        await asyncpg.connect(PG.dsn(dossier_db, SCORING_ROLE))
    reader = await asyncpg.connect(PG.dsn(dossier_db, STORE_READER))
    try:
        assert await reader.fetchval("SELECT count(*) FROM events") == 1
        for statement in ("SELECT count(*) FROM access_log", "SELECT count(*) FROM cadre_directory",
                          "DELETE FROM events"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await reader.execute(statement)
    finally:
        await reader.close()


def _topic_of(kafka: KafkaConnection, prefix: str, config) -> str:
    topic = f"{prefix}test-{uuid.uuid4().hex[:8]}"
    ensure_topic(kafka, topic, 1, **config(1))
    return topic


def _produce(kafka: KafkaConnection, topic: str) -> None:
    producer = KafkaProducer(**kafka.client_options(), acks="all", max_block_ms=10_000, retries=0)
    try:
        producer.send(topic, key=b"k", value=b"v").get(timeout=15)
    finally:
        producer.close(timeout=5)


def _read(kafka: KafkaConnection, topic: str) -> int:
    """How many messages ``topic`` holds, read from the start without a group."""
    consumer = KafkaConsumer(**kafka.client_options(), group_id=None, consumer_timeout_ms=5000,
                             auto_offset_reset="earliest")
    try:
        partition = TopicPartition(topic, 0)
        end = consumer.end_offsets([partition])[partition]  # the broker answers this only if it may be read
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        read = 0
        while consumer.position(partition) < end:
            read += sum(len(batch) for batch in consumer.poll(timeout_ms=1000).values())
        return read
    finally:
        consumer.close()


def _admin(kafka: KafkaConnection) -> KafkaAdminClient:
    return KafkaAdminClient(**kafka.client_options(), bootstrap_timeout_ms=5000, request_timeout_ms=5000)


def test_a_kafka_client_without_credentials_or_with_a_wrong_password_is_refused(kafka_server: KafkaServer) -> None:
    assert kafka_server.secured, SECURED
    unauthenticated = [
        KafkaConnection(kafka_server.bootstrap),  # plaintext to the TLS listener
        KafkaConnection(kafka_server.bootstrap, "SSL", ca_file=kafka_server.connection().ca_file),  # TLS, no login
    ]
    for connection in unauthenticated:
        with pytest.raises(KafkaError):
            _admin(connection)
    with pytest.raises(KafkaError):
        _admin(kafka_server.connection(KAFKA_DOSSIER, password="not-the-password"))
    admin = _admin(kafka_server.connection(KAFKA_DOSSIER))  # the same with the right password is let in
    admin.close()


def test_only_the_dossier_principal_produces_to_the_dossier_topic(kafka_server: KafkaServer) -> None:
    assert kafka_server.secured, SECURED
    topic = _topic_of(kafka_server.connection(KAFKA_DOSSIER), "shiji.dossier.events.", events_topic_config)
    _produce(kafka_server.connection(KAFKA_DOSSIER), topic)
    for intruder in (KAFKA_SCORING, KAFKA_OTHER):
        with pytest.raises(TopicAuthorizationFailedError):
            _produce(kafka_server.connection(intruder), topic)
    assert _read(kafka_server.connection(KAFKA_SCORING), topic) == 1  # scoring reads it


def test_another_system_reads_only_what_it_is_granted(kafka_server: KafkaServer) -> None:
    assert kafka_server.secured, SECURED
    totals = _topic_of(kafka_server.connection(KAFKA_SCORING), "shiji.scoring.totals.", totals_topic_config)
    _produce(kafka_server.connection(KAFKA_SCORING), totals)
    dossier = _topic_of(kafka_server.connection(KAFKA_DOSSIER), "shiji.dossier.events.", events_topic_config)
    _produce(kafka_server.connection(KAFKA_DOSSIER), dossier)
    other = kafka_server.connection(KAFKA_OTHER)
    assert _read(other, totals) == 1
    with pytest.raises(TopicAuthorizationFailedError):
        _read(other, dossier)
    with pytest.raises(TopicAuthorizationFailedError):  # nor may it write what it reads
        _produce(other, totals)
    # The same principal by client certificate, through another client (kcat, librdkafka): same answers.
    def kcat(topic: str) -> subprocess.CompletedProcess:
        return subprocess.run(["kcat", *kafka_server.kcat_options(KAFKA_OTHER), "-t", topic, "-C", "-e", "-q"],
                              capture_output=True, text=True, timeout=60)
    assert kcat(totals).stdout.splitlines() == ["v"]
    refused = kcat(dossier)
    assert refused.returncode != 0 and "authoriz" in refused.stderr.lower(), refused.stderr


async def test_the_services_roles_hold_no_administrative_power(pg: PgDatabases) -> None:
    """What the services log in as is no superuser and can create no database or role."""
    assert PG.secured, SECURED
    for role in (DOSSIER_ROLE, SCORING_ROLE):
        conn = await asyncpg.connect(PG.dsn("postgres", role))
        try:
            assert not await conn.fetchval("SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles "
                                           "WHERE rolname = current_user")
        finally:
            await conn.close()
