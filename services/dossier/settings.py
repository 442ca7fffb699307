from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import SECRET, KafkaSettings, ServingSettings, secret


class DossierSettings(ServingSettings):
    """SHIJI_DOSSIER_*: the write side."""

    model_config = SettingsConfigDict(env_prefix="SHIJI_DOSSIER_", extra="ignore")

    database_url: str = Field("postgresql+asyncpg://postgres@127.0.0.1:5432/shiji_dossier",
                              description="the dossier's own database (event store), with its password",
                              json_schema_extra=secret())
    migration_database_url: str | None = Field(
        None, description="the same database as its owner role, which `shiji migrate` runs as and which then grants "
                          "the run-time role (database_url's) its privileges; unset: migrate as database_url's role",
        json_schema_extra={SECRET: True})
    store_reader_role: str | None = Field(
        None, description="a role `shiji migrate` lets read the events (only), for `shiji rebuild scoring --from-store`")
    host: str = Field("127.0.0.1", description="listen address of `shiji serve dossier`")
    port: int = Field(8001, description="listen port of `shiji serve dossier`")
    relay: bool = Field(True, description="run the relay (event store -> Kafka) in this process")
    relay_batch_size: int = Field(2000, ge=1, le=50_000, description="events per relay round")
    pool_size: int = Field(10, ge=1, description="database connections kept open")
    head_cache_size: int = Field(1000, ge=0, description="streams whose folded state is kept between writes "
                                 "(a busy cadre's takes a few hundred KB); 0 reads every stream whole each time")
    timezone: str = Field("Asia/Shanghai", description="whose calendar day is 'today' (no entry may be dated after it)")
    hash_algorithm: Literal["sm3", "sha256"] = Field("sm3", description="hash of each stream's tamper-evident chain")
    declaration_key: SecretStr | None = Field(
        None, description="base64 of 32 random bytes sealing sensitive declarations; without it they are refused (503)",
        json_schema_extra={SECRET: True})
    declaration_key_id: str = Field("k1", description="names the declaration key, so keys can be rotated")
    gateway_keys_file: Path | None = Field(None, description="the gateway's Ed25519 public key(s), PEM, one after "
                                                            "another during a rotation: only calls it signed are "
                                                            "answered; `shiji serve` refuses to start without it "
                                                            "(docs/operations.md, 'Service identity')")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
