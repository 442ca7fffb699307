from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.gateway.body_limit import DEFAULT_MAX_BODY_BYTES
from shared.settings import ServiceSettings, required_in_production


class GatewaySettings(ServiceSettings):
    """SHIJI_GATEWAY_*: the public API."""

    model_config = SettingsConfigDict(env_prefix="SHIJI_GATEWAY_", extra="ignore")

    host: str = Field("127.0.0.1", description="listen address of `shiji serve gateway`")
    port: int = Field(8000, description="listen port of `shiji serve gateway`")
    dossier_url: str = Field("http://127.0.0.1:8001", description="base URL of the dossier service",
                             json_schema_extra=required_in_production())
    scoring_url: str = Field("http://127.0.0.1:8002", description="base URL of the scoring service",
                             json_schema_extra=required_in_production())
    jwt_public_key_file: Path | None = Field(None, description="PEM public key (ES256/RS256) that verifies bearer "
                                                               "tokens; `shiji serve gateway` refuses to start without",
                                             json_schema_extra=required_in_production())
    jwt_issuer: str = Field("shiji-local", description="the `iss` every token must carry (the default is the "
                                                       "embedded wiring's own issuer)",
                            json_schema_extra=required_in_production())
    jwt_audience: str = Field("shiji", description="the `aud` every token must carry")
    upstream_timeout_s: float = Field(10.0, gt=0, description="timeout of one call to dossier or scoring")
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024, description="larger request bodies are refused (413)")
    import_max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024,
                                       description="larger bulk-import files (POST /api/v1/imports) are refused (413); "
                                                   "a city's migration goes through `shiji import` instead")
