from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import SECRET, KafkaSettings, ServingSettings, secret


class ScoringSettings(ServingSettings):
    """SHIJI_SCORING_*: the read side for points."""

    model_config = SettingsConfigDict(env_prefix="SHIJI_SCORING_", extra="ignore")

    database_url: str = Field("postgresql+asyncpg://postgres@127.0.0.1:5432/shiji_scoring",
                              description="the scoring service's own database (projections and positions), "
                                          "with its password",
                              json_schema_extra=secret())
    migration_database_url: str | None = Field(
        None, description="the same database as its owner role, which `shiji migrate` runs as and which then grants "
                          "the run-time role (database_url's) its privileges; unset: migrate as database_url's role",
        json_schema_extra={SECRET: True})
    host: str = Field("127.0.0.1", description="listen address of `shiji serve scoring`")
    port: int = Field(8002, description="listen port of `shiji serve scoring`")
    consume: bool = Field(True, description="run the Kafka consumer in this process")
    consumer_group: str = Field("shiji-scoring", description="Kafka consumer group shared by all scoring instances")
    max_batch: int = Field(2000, ge=1, le=50_000, description="most events applied in one transaction")
    pool_size: int = Field(10, ge=1, description="database connections kept open")
    timezone: str = Field("Asia/Shanghai", description="whose calendar day is 'today' (the default as_of)")
    publish: bool = Field(True, description="publish shiji.scoring.totals.v1 and shiji.scoring.warnings.v1")
    daily_job: bool = Field(True, description="refresh every cadre's totals and warnings at start and daily at 00:05")
    rulesets_dir: Path | None = Field(None, description="a folder of extra rule-set JSON files, beside the built-in ones")
    gateway_keys_file: Path | None = Field(None, description="the gateway's Ed25519 public key(s), PEM, one after "
                                                            "another during a rotation: only calls it signed are "
                                                            "answered; `shiji serve` refuses to start without it "
                                                            "(docs/operations.md, 'Service identity')")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
