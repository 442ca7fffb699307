"""Settings shared by the services: the Kafka connection and the local clock.

Each service has its own settings class (its own env prefix) in its package; this module holds
only what two or more of them read.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DOSSIER_TOPIC = "shiji.dossier.events.v1"
# The dossier topic keeps every event for ever: it is what ``shiji rebuild scoring`` rebuilds from.
# (Set when the topic is created; an existing topic keeps its configuration.)
DOSSIER_TOPIC_CONFIG = {"retention.ms": "-1", "retention.bytes": "-1"}


class KafkaSettings(BaseSettings):
    """SHIJI_KAFKA_*: where the broker is and how the dossier topic is laid out."""

    model_config = SettingsConfigDict(env_prefix="SHIJI_KAFKA_", extra="ignore")

    bootstrap: str = Field("127.0.0.1:9092", description="comma-separated host:port list of brokers")
    topic: str = Field(DOSSIER_TOPIC, description="the dossier events topic")
    partitions: int = Field(6, ge=1, description="partitions when the topic is created; scoring scales out to this many")
    replication_factor: int = Field(1, ge=1, description="replication factor when the topic is created")


def today(timezone: str = "Asia/Shanghai") -> dt.date:
    """Today's date where the organization department works, not where the server runs."""
    return dt.datetime.now(ZoneInfo(timezone)).date()
