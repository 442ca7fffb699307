from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import KafkaSettings, ServiceSettings, secret


class DossierSettings(ServiceSettings):
    """SHIJI_DOSSIER_*: the write side."""

    model_config = SettingsConfigDict(env_prefix="SHIJI_DOSSIER_", extra="ignore")

    database_url: str = Field("postgresql+asyncpg://postgres@127.0.0.1:5432/shiji_dossier",
                              description="the dossier's own database (event store), with its password",
                              json_schema_extra=secret())
    host: str = Field("127.0.0.1", description="listen address of `shiji serve dossier`")
    port: int = Field(8001, description="listen port of `shiji serve dossier`")
    relay: bool = Field(True, description="run the relay (event store -> Kafka) in this process")
    relay_batch_size: int = Field(2000, ge=1, le=50_000, description="events per relay round")
    pool_size: int = Field(10, ge=1, description="database connections kept open")
    timezone: str = Field("Asia/Shanghai", description="whose calendar day is 'today' (no entry may be dated after it)")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
