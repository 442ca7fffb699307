"""The dossier's composition root: its app wired to its database and, when it runs the relay, to Kafka
(the events topic ensured, an admin client for /readyz and /metrics, the relay's publisher). Used by
``shiji serve dossier`` and by tests that wire a dossier with Kafka; ``api.create_app`` takes the
adapters by argument, for tests that swap them."""

from __future__ import annotations

from fastapi import FastAPI

from services.dossier.api import create_app
from services.dossier.settings import DossierSettings
from shared.kafka_bus import KafkaAdmin, KafkaPublisher, ensure_topic, events_topic_config
from shared.service_identity import verifier_from
from shared.settings import KafkaSettings, env_name


def ensure_events_topic(k: KafkaSettings) -> None:
    """Create the dossier events topic if it is missing, kept forever (``events_topic_config``)."""
    ensure_topic(k.connection(), k.topic, k.partitions, k.replication_factor, **events_topic_config(k.replication_factor))


def build_app(settings: DossierSettings, *, migrate: bool = False, create_topic: bool = True) -> FastAPI:
    """The dossier app of ``settings``. It answers calls proven by the gateway's key (ValueError when the settings
    name none). With ``settings.relay`` it publishes to ``settings.kafka``: the events topic is created first
    unless ``create_topic`` is false. The app closes the Kafka clients when it stops."""
    callers = verifier_from("dossier", settings.gateway_keys_file, env_name(DossierSettings, "gateway_keys_file"))
    publisher = bus = None
    if settings.relay:
        k = settings.kafka
        if create_topic:
            ensure_events_topic(k)
        bus = KafkaAdmin(k.connection())
        publisher = KafkaPublisher(k.connection(), errors=bus.errors)
    return create_app(settings, callers=callers, publisher=publisher, bus=bus, migrate=migrate)
