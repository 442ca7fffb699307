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
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SecretsSettingsSource, SettingsConfigDict

from shared.db_tls import transport_problems
from shared.kafka_connection import SASL_SSL, KafkaConnection

DOSSIER_TOPIC = "shiji.dossier.events.v1"
DEFAULT_SECRETS_DIR = Path("/run/secrets")

# Field markers (json_schema_extra), read by ``production_problems`` and the configuration doc.
SECRET = "secret"
REQUIRED_IN_PRODUCTION = "required_in_production"
HTTPS_IN_PRODUCTION = "https_in_production"
SERVING_ONLY = "serving_only"  # needed to serve, not to migrate


def secret(**extra: Any) -> dict[str, Any]:
    return {SECRET: True, REQUIRED_IN_PRODUCTION: True, **extra}


def required_in_production(**extra: Any) -> dict[str, Any]:
    return {REQUIRED_IN_PRODUCTION: True, **extra}


def https_in_production(**extra: Any) -> dict[str, Any]:
    """A URL production mode requires set and ``https://``."""
    return {REQUIRED_IN_PRODUCTION: True, HTTPS_IN_PRODUCTION: True, **extra}


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


class ServingSettings(ServiceSettings):
    """What dossier and scoring serve the gateway's calls with: HTTPS (shared/service_tls.py)."""

    tls_cert_file: Path | None = Field(None, description="PEM certificate (chain) this service serves HTTPS with, "
                                                         "signed by the CA the gateway trusts "
                                                         "(SHIJI_GATEWAY_SERVICE_CA_FILE); unset: plain HTTP",
                                       json_schema_extra=required_in_production(**{SERVING_ONLY: True}))
    tls_key_file: Path | None = Field(None, description="the certificate's private key, PEM (a Secret, mounted "
                                                        "read-only)",
                                      json_schema_extra=required_in_production(**{SERVING_ONLY: True}))


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
    dead_letters_topic: str = Field("shiji.scoring.dead-letters.v1", description="what scoring did not apply "
                                    "(shared/dead_letters.py)")
    partitions: int = Field(6, ge=1, description="partitions when the topic is created; scoring scales out to this many")
    replication_factor: int = Field(1, ge=1, description="replication factor when the topic is created "
                                                         "(production: choose it, 3 on a three-broker cluster)",
                                    json_schema_extra=required_in_production())
    security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="SASL_SSL: TLS to the broker and a SCRAM login (production refuses PLAINTEXT)")
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = Field("SCRAM-SHA-512", description="the SCRAM variant")
    username: str | None = Field(None, description="this service's Kafka principal (one per service: the ACLs "
                                                   "say what each may read and write)")
    password: SecretStr | None = Field(None, description="the principal's SCRAM password", json_schema_extra={SECRET: True})
    ca_file: Path | None = Field(None, description="PEM file of the CA that signed the brokers' certificates")

    def connection(self) -> KafkaConnection:
        return KafkaConnection(self.bootstrap, self.security_protocol, self.sasl_mechanism, self.username,
                               self.password.get_secret_value() if self.password else None,
                               str(self.ca_file) if self.ca_file else None)


def env_name(settings_cls: type[BaseSettings], field: str) -> str:
    return f"{settings_cls.model_config.get('env_prefix', '')}{field}".upper()


def production_problems(settings: BaseSettings, *, serving: bool = True) -> list[str]:
    """Why ``settings`` are not fit for production; empty when they are. Not ``serving`` (``shiji migrate``):
    the databases only, not the settings inside (Kafka) nor what only a serving process needs."""
    problems = []
    for name, info in type(settings).model_fields.items():
        value = getattr(settings, name)
        if isinstance(value, BaseSettings):
            problems += production_problems(value) if serving else []
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get(SERVING_ONLY) and not serving:
            continue
        if extra.get(REQUIRED_IN_PRODUCTION) and name not in settings.model_fields_set:
            problems.append(f"{env_name(type(settings), name)} must be set: its default is for development only")
        if extra.get(HTTPS_IN_PRODUCTION) and not str(value).startswith("https://"):
            problems.append(f"{env_name(type(settings), name)} must be an https:// URL: the hop is encrypted")
        if name.endswith("database_url") and value is not None:
            problems += [f"{env_name(type(settings), name)} {p}" for p in transport_problems(str(value))]
    if isinstance(settings, KafkaSettings):
        problems += kafka_problems(settings)
    return problems


def kafka_problems(settings: KafkaSettings) -> list[str]:
    """Production talks to Kafka over TLS, as its own principal (issue 19)."""
    problems = []
    if settings.security_protocol != SASL_SSL:
        problems.append(f"{env_name(KafkaSettings, 'security_protocol')} must be SASL_SSL: TLS and a SCRAM login")
    for field in ("username", "password", "ca_file"):
        if getattr(settings, field) is None:
            problems.append(f"{env_name(KafkaSettings, field)} must be set: every client logs in over TLS")
    return problems


def today(timezone: str = "Asia/Shanghai") -> dt.date:
    """Today's date where the organization department works, not where the server runs."""
    return dt.datetime.now(ZoneInfo(timezone)).date()
