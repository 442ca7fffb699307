from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.gateway.body_limit import DEFAULT_MAX_BODY_BYTES
from shared.settings import ServiceSettings, env_name, https_in_production, required_in_production


class GatewaySettings(ServiceSettings):
    """SHIJI_GATEWAY_*: the public API."""

    model_config = SettingsConfigDict(env_prefix="SHIJI_GATEWAY_", extra="ignore")

    host: str = Field("127.0.0.1", description="listen address of `shiji serve gateway`")
    port: int = Field(8000, description="listen port of `shiji serve gateway`")
    dossier_url: str = Field("http://127.0.0.1:8001", description="base URL of the dossier service "
                             "(production: https://, its certificate checked against service_ca_file)",
                             json_schema_extra=https_in_production())
    scoring_url: str = Field("http://127.0.0.1:8002", description="base URL of the scoring service "
                             "(production: https://, its certificate checked against service_ca_file)",
                             json_schema_extra=https_in_production())
    service_ca_file: Path | None = Field(None, description="PEM file of the private CA that signed dossier's and "
                                                           "scoring's certificates: the only CA trusted for calls to "
                                                           "them (unset: the system's CAs)",
                                         json_schema_extra=required_in_production())
    jwt_public_key_file: Path | None = Field(None, description="PEM public key (ES256/RS256) that verifies bearer "
                                                               "tokens; give this, jwks_url or jwks_file")
    jwks_url: str | None = Field(None, description="the identity provider's JWKS URL (keys cached 5 min, refetched "
                                                   "for an unknown kid)")
    jwks_file: Path | None = Field(None, description="a JWKS file holding the identity provider's public keys")
    revoked_tokens_file: Path | None = Field(None, description="revoked token ids (jti), one per line; re-read when "
                                                               "it changes")
    jwt_issuer: str = Field("shiji-local", description="the `iss` every token must carry (the default is the "
                                                       "embedded wiring's own issuer)",
                            json_schema_extra=required_in_production())
    jwt_audience: str = Field("shiji", description="the `aud` every token must carry")
    service_key_file: Path | None = Field(None, description="the Ed25519 private key (PEM) the gateway signs its calls "
                                                            "to dossier and scoring with; `shiji serve gateway` "
                                                            "refuses to start without it (docs/operations.md, "
                                                            "'Service identity')")
    timezone: str = Field("Asia/Shanghai", description="the time zone a printed form states its moment in (截至 "
                                                       "date and minute), an IANA name")
    upstream_timeout_s: float = Field(10.0, gt=0, description="timeout of one call to dossier or scoring")
    min_position_wait_s: float = Field(5.0, ge=0, le=60, description="how long a read that asks for "
                                       "`min_position` waits for scoring to reflect it before answering 503")
    relations_check_s: float = Field(1.0, ge=0, le=60, description="how often, at most, the gateway asks the dossier "
                                     "whether the relations it keeps (who reaches which cadre and unit) may have "
                                     "changed; a change made through this gateway is seen at once, one made "
                                     "elsewhere within this long. 0: ask the dossier on every request")
    rate_limit_per_s: float = Field(20.0, gt=0, description="requests per second each subject (token `sub`) may "
                                                            "make, on average, per gateway instance")
    rate_limit_burst: int = Field(200, ge=1, description="requests a subject may make at once before being slowed")
    cors_origins: list[str] = Field(default_factory=list, description="origins of the web front ends allowed to "
                                                                      "call the API from a browser (CORS)")
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024, description="larger request bodies are refused (413)")
    import_max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024,
                                       description="larger bulk-import files (POST /api/v1/imports) are refused (413); "
                                                   "a city's migration goes through `shiji import` instead")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:  # an unknown name fails at start, not on the first printed form
            ZoneInfo(name)
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"not an IANA time zone: {name}") from exc
        return name


def verifier_from(settings: GatewaySettings):  # -> TokenVerifier (imported late: settings stay light)
    """The token verifier the settings describe; ValueError unless exactly one key source is given."""
    import jwt

    from services.gateway.auth import RevocationList, TokenVerifier

    sources = {"jwt_public_key_file": settings.jwt_public_key_file, "jwks_url": settings.jwks_url,
               "jwks_file": settings.jwks_file}
    if sum(v is not None for v in sources.values()) != 1:
        raise ValueError("set exactly one of SHIJI_GATEWAY_JWT_PUBLIC_KEY_FILE, SHIJI_GATEWAY_JWKS_URL, "
                         "SHIJI_GATEWAY_JWKS_FILE: the keys that verify bearer tokens")
    common = {"issuer": settings.jwt_issuer, "audience": settings.jwt_audience,
              "revoked": RevocationList(settings.revoked_tokens_file)}
    if settings.jwt_public_key_file is not None:
        return TokenVerifier(settings.jwt_public_key_file.read_bytes(), **common)
    if settings.jwks_file is not None:
        return TokenVerifier(jwks=jwt.PyJWKSet.from_json(settings.jwks_file.read_text()), **common)
    return TokenVerifier(jwks_url=settings.jwks_url, **common)


def upstream_tls(settings: GatewaySettings):  # -> ssl.SSLContext | None (imported late: settings stay light)
    """How the gateway checks the services' certificates: None when both are plain ``http://`` (the embedded
    wiring, a developer's machine); ValueError for a CA file with an ``http://`` service, which would ignore it."""
    from shared.service_tls import client_context

    urls = {env_name(GatewaySettings, f): getattr(settings, f) for f in ("dossier_url", "scoring_url")}
    plain = [name for name, url in urls.items() if not url.startswith("https://")]
    if settings.service_ca_file is not None and plain:
        raise ValueError(f"{env_name(GatewaySettings, 'service_ca_file')} is set but {', '.join(plain)} "
                         f"is not https://: the call would go unencrypted")
    if len(plain) == len(urls):
        return None
    return client_context(settings.service_ca_file)
