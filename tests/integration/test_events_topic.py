"""The dossier events topic as ``shiji serve`` creates it on the real broker: kept forever, so a
projection can always be rebuilt from offset zero (docs/operations.md)."""

from __future__ import annotations

import uuid

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from services.cli import _ensure_events_topic
from shared.settings import KafkaSettings
from tests.support.connections import KAFKA_DOSSIER, KafkaServer


def test_the_events_topic_is_created_with_unlimited_retention(kafka_server: KafkaServer) -> None:
    topic = f"shiji.dossier.test-{uuid.uuid4().hex[:12]}"  # the dossier's principal may create shiji.dossier.*
    env = {k.removeprefix("SHIJI_KAFKA_").lower(): v for k, v in kafka_server.service_env(KAFKA_DOSSIER).items()}
    _ensure_events_topic(KafkaSettings(**env, topic=topic, partitions=2, replication_factor=1))
    admin = KafkaAdminClient(**kafka_server.connection().client_options())
    try:
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])["topic"][topic]
        assert len(admin.describe_topics([topic])[0]["partitions"]) == 2
    finally:
        admin.close()
    assert configs["retention.ms"]["value"] == "-1"
    assert configs["retention.bytes"]["value"] == "-1"
    assert configs["min.insync.replicas"]["value"] == "1"
