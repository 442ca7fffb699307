"""The scoring service wired to Kafka: the composition root of ``shiji serve scoring``.

``build_app`` makes the topics it needs, the bus admin (readiness, lag, Kafka errors), the consumer
group's subscriptions and the publisher of its topics, as the settings ask, and hands them to
``api.create_app``, which closes them when the app stops."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider

from services.scoring.api import create_app
from services.scoring.settings import ScoringSettings
from shared.bus import StartPositions, Subscription
from shared.kafka_bus import (
    KafkaAdmin,
    KafkaPublisher,
    KafkaSubscription,
    consequences_topic_config,
    dead_letters_topic_config,
    ensure_topic,
    events_topic_config,
    totals_topic_config,
    warnings_topic_config,
)
from shared.service_identity import verifier_from
from shared.settings import env_name

CLIENT_ID = "shiji-scoring"


def ensure_topics(settings: ScoringSettings) -> None:
    """The dossier topic it consumes (with ``consume``) and the topics it publishes (with ``publish``)."""
    k = settings.kafka
    if settings.consume:
        ensure_topic(k.connection(), k.topic, k.partitions, k.replication_factor,
                     **events_topic_config(k.replication_factor))
    if settings.publish:
        for topic, config in ((k.totals_topic, totals_topic_config), (k.warnings_topic, warnings_topic_config),
                              (k.consequences_topic, consequences_topic_config),
                              (k.dead_letters_topic, dead_letters_topic_config)):
            ensure_topic(k.connection(), topic, k.partitions, k.replication_factor, **config(k.replication_factor))


def build_app(settings: ScoringSettings, *, migrate: bool = False,
              tracer_provider: TracerProvider | None = None) -> FastAPI:
    """The scoring service on Kafka, consuming and publishing as ``settings.consume`` and ``settings.publish`` say,
    answering calls proven by the gateway's key (ValueError when the settings name none)."""
    callers = verifier_from("scoring", settings.gateway_keys_file, env_name(ScoringSettings, "gateway_keys_file"))
    k = settings.kafka
    ensure_topics(settings)
    bus = KafkaAdmin(k.connection()) if settings.consume or settings.publish else None
    subscribe = publisher = None
    if settings.consume:
        assert bus is not None

        def subscribe(start: StartPositions) -> Subscription:
            return KafkaSubscription(k.connection(), k.topic, settings.consumer_group, start, errors=bus.errors)

    if settings.publish:
        assert bus is not None
        publisher = KafkaPublisher(k.connection(), client_id=CLIENT_ID, errors=bus.errors)
    return create_app(settings, callers=callers, subscribe=subscribe, publisher=publisher, bus=bus,
                      tracer_provider=tracer_provider, migrate=migrate)
