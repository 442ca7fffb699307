"""Settings shared by the services: where secrets come from, production mode, the Kafka connection,
the local clock.

Each service has its own settings class (its own env prefix) in its package; this module holds
what two or more of them read. ``docs/configuration.md`` is generated from all of them
(``python -m services.configuration``).

Secrets come only from the environment or from files: a file named like the variable (e.g.
``shiji_dossier_database_url``) in ``SHIJI_SECRETS_DIR`` (default ``/run/secrets``, where compose
and most Kubernetes set-ups mount them); the environment wins over a file. No secret has a usable
default: the defaults are for a developer's machine, and production mode refuses them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SecretsSettingsSource, SettingsConfigDict

DOSSIER_TOPIC = "shiji.dossier.events.v1"
DEFAULT_SECRETS_DIR = Path("/run/secrets")

# Field markers (json_schema_extra), read by ``production_problems`` and the configuration doc.
SECRET = "secret"
REQUIRED_IN_PRODUCTION = "required_in_production"


def secret(**extra: Any) -> dict[str, Any]:
    return {SECRET: True, REQUIRED_IN_PRODUCTION: True, **extra}


def required_in_production(**extra: Any) -> dict[str, Any]:
    return {REQUIRED_IN_PRODUCTION: True, **extra}


class RuntimeSettings(BaseSettings):
    """SHIJI_*: how the process treats its configuration."""

    model_config = SettingsConfigDict(env_prefix="SHIJI_", extra="ignore")

    production: bool = Field(False, description="production mode: refuse to start while a setting marked "
                                                "'required' is left at its development default")
    secrets_dir: Path = Field(DEFAULT_SECRETS_DIR, description="folder of secret files, one per variable, "
                                                               "named like it in lower case (read if it exists)")


class ServiceSettings(BaseSettings):
    """Base of every service's settings: environment first, then secret files, then defaults."""

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        folder = RuntimeSettings().secrets_dir
        if not folder.is_dir():
            return init_settings, env_settings
        return init_settings, env_settings, SecretsSettingsSource(settings_cls, secrets_dir=folder)


class KafkaSettings(ServiceSettings):
    """SHIJI_KAFKA_*: where the broker is and how the dossier topic is laid out."""

    model_config = SettingsConfigDict(env_prefix="SHIJI_KAFKA_", extra="ignore")

    bootstrap: str = Field("127.0.0.1:9092", description="comma-separated host:port list of brokers",
                           json_schema_extra=required_in_production())
    topic: str = Field(DOSSIER_TOPIC, description="the dossier events topic")
    totals_topic: str = Field("shiji.scoring.totals.v1", description="scoring's compacted totals topic")
    warnings_topic: str = Field("shiji.scoring.warnings.v1", description="scoring's warnings topic")
    consequences_topic: str = Field("shiji.scoring.assessment_consequences.v1",
                                    description="scoring's topic of the assessment's consequences (issue 16)")
    partitions: int = Field(6, ge=1, description="partitions when the topic is created; scoring scales out to this many")
    replication_factor: int = Field(1, ge=1, description="replication factor when the topic is created "
                                                         "(production: choose it, 3 on a three-broker cluster)",
                                    json_schema_extra=required_in_production())


def env_name(settings_cls: type[BaseSettings], field: str) -> str:
    return f"{settings_cls.model_config.get('env_prefix', '')}{field}".upper()


def production_problems(settings: BaseSettings, *, nested: bool = True) -> list[str]:
    """Why ``settings`` (and, if ``nested``, the settings inside it) are not fit for production; empty when they are."""
    problems = []
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, BaseSettings):
            problems += production_problems(value) if nested else []
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get(REQUIRED_IN_PRODUCTION) and name not in settings.model_fields_set:
            problems.append(f"{env_name(type(settings), name)} must be set: its default is for development only")
        if name == "database_url" and str(value).startswith("sqlite"):
            problems.append(f"{env_name(type(settings), name)} points at SQLite: production runs on PostgreSQL")
    return problems


def today(timezone: str = "Asia/Shanghai") -> dt.date:
    """Today's date where the organization department works, not where the server runs."""
    return dt.datetime.now(ZoneInfo(timezone)).date()
