"""The settings: their generated documentation, secrets from files, and production mode's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from services import cli
from services.configuration import DOC, render
from services.dossier.settings import DossierSettings
from services.gateway.settings import GatewaySettings
from services.scoring.settings import ScoringSettings
from shared.service_identity import CallSigner, public_pem
from shared.settings import production_problems

TLS = "?sslmode=verify-full&sslrootcert=/etc/shiji/tls/postgres-ca.crt"
PRODUCTION_ENV = {
    "SHIJI_DOSSIER_DATABASE_URL": f"postgresql+asyncpg://shiji_dossier:pw@db.internal/shiji_dossier{TLS}",
    "SHIJI_SCORING_DATABASE_URL": f"postgresql+asyncpg://shiji_scoring:pw@db.internal/shiji_scoring{TLS}",
    "SHIJI_KAFKA_BOOTSTRAP": "kafka-0.kafka:9093,kafka-1.kafka:9093",
    "SHIJI_KAFKA_REPLICATION_FACTOR": "3",
    "SHIJI_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "SHIJI_KAFKA_USERNAME": "shiji-dossier",
    "SHIJI_KAFKA_PASSWORD": "pw",
    "SHIJI_KAFKA_CA_FILE": "/etc/shiji/tls/kafka-ca.crt",
    **{f"SHIJI_{service}_TLS_{part}_FILE": f"/etc/shiji/service-tls/{service.lower()}.{part.lower()}"
       for service in ("DOSSIER", "SCORING") for part in ("CERT", "KEY")},
}
GATEWAY_ENV = {
    "SHIJI_GATEWAY_DOSSIER_URL": "https://shiji-dossier:8001",
    "SHIJI_GATEWAY_SCORING_URL": "https://shiji-scoring:8002",
    "SHIJI_GATEWAY_SERVICE_CA_FILE": "/etc/shiji/tls/service-ca.crt",
    "SHIJI_GATEWAY_JWT_ISSUER": "https://idp.example.invalid",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SHIJI_* from the machine running the tests, and no secrets folder unless a test makes one."""
    import os

    for name in list(os.environ):
        if name.startswith("SHIJI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHIJI_SECRETS_DIR", str(tmp_path / "no-secrets-here"))


def test_the_configuration_doc_is_generated_from_the_settings_classes() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/configuration.md is out of date: run python -m services.configuration")


def test_the_doc_names_every_setting() -> None:
    doc = render()
    for cls in (DossierSettings, ScoringSettings, GatewaySettings):
        prefix = cls.model_config["env_prefix"]
        for name in cls.model_fields:
            if name != "kafka":
                assert f"`{prefix}{name.upper()}`" in doc


def test_a_secret_can_come_from_a_file_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "shiji_scoring_database_url").write_text("postgresql+asyncpg://u:from-file@db/s")
    monkeypatch.setenv("SHIJI_SECRETS_DIR", str(secrets))
    assert ScoringSettings().database_url == "postgresql+asyncpg://u:from-file@db/s"
    monkeypatch.setenv("SHIJI_SCORING_DATABASE_URL", "postgresql+asyncpg://u:from-env@db/s")
    assert ScoringSettings().database_url == "postgresql+asyncpg://u:from-env@db/s"


def test_development_defaults_are_named_as_production_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    problems = production_problems(DossierSettings())
    assert {p.split()[0] for p in problems} == {
        "SHIJI_DOSSIER_DATABASE_URL", "SHIJI_KAFKA_BOOTSTRAP", "SHIJI_KAFKA_REPLICATION_FACTOR",
        "SHIJI_KAFKA_SECURITY_PROTOCOL", "SHIJI_KAFKA_USERNAME", "SHIJI_KAFKA_PASSWORD", "SHIJI_KAFKA_CA_FILE",
        "SHIJI_DOSSIER_TLS_CERT_FILE", "SHIJI_DOSSIER_TLS_KEY_FILE"}
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    assert production_problems(DossierSettings()) == []
    assert production_problems(ScoringSettings()) == []
    monkeypatch.setenv("SHIJI_SCORING_DATABASE_URL", "sqlite+aiosqlite:///scoring.db")
    assert [p.split()[0] for p in production_problems(ScoringSettings())] == ["SHIJI_SCORING_DATABASE_URL"]


@pytest.mark.parametrize("service", ["dossier", "scoring", "gateway"])
def test_production_mode_refuses_to_serve_on_defaults(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], service: str) -> None:
    monkeypatch.setenv("SHIJI_PRODUCTION", "true")
    started = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *a, **k: started.append(a))
    assert cli.main(["serve", service]) == 2
    assert not started
    assert "production mode: SHIJI_" in capsys.readouterr().err


def test_production_mode_lets_migrate_through_once_the_databases_are_named(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SHIJI_PRODUCTION", "true")
    assert cli.main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "SHIJI_DOSSIER_DATABASE_URL" in err and "SHIJI_KAFKA" not in err
    upgraded = []

    async def upgrade(service: str, url: str) -> None:
        upgraded.append((service, url))

    monkeypatch.setattr(cli, "upgrade_to_head", upgrade)
    for name in ("SHIJI_DOSSIER_DATABASE_URL", "SHIJI_SCORING_DATABASE_URL"):
        monkeypatch.setenv(name, PRODUCTION_ENV[name])
    assert cli.main(["migrate"]) == 0
    assert [s for s, _ in upgraded] == ["dossier", "scoring"]


def test_outside_production_mode_defaults_are_fine_but_the_gateways_key(monkeypatch: pytest.MonkeyPatch,
                                                                         capsys: pytest.CaptureFixture[str],
                                                                         tmp_path: Path) -> None:
    started = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **k: started.append(app))
    monkeypatch.setenv("SHIJI_SCORING_CONSUME", "false")
    monkeypatch.setenv("SHIJI_SCORING_PUBLISH", "false")
    # Whatever the mode, a service that could not tell the gateway's calls from anyone's does not start.
    assert cli.main(["serve", "scoring"]) == 2
    assert "SHIJI_SCORING_GATEWAY_KEYS_FILE" in capsys.readouterr().err and not started
    keys = tmp_path / "gateway.pub.pem"
    keys.write_bytes(public_pem(CallSigner.generated().public_key))
    monkeypatch.setenv("SHIJI_SCORING_GATEWAY_KEYS_FILE", str(keys))
    assert cli.main(["serve", "scoring"]) == 0
    assert started


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("SHIJI_DOSSIER_DATABASE_URL", "postgresql+asyncpg://shiji_dossier:pw@db.internal/shiji_dossier", "verify-full"),
    ("SHIJI_DOSSIER_DATABASE_URL", f"postgresql+asyncpg://shiji_dossier:pw@db/d{TLS.replace('verify-full', 'require')}",
     "verify-full"),
    ("SHIJI_DOSSIER_DATABASE_URL", f"postgresql+asyncpg://shiji_dossier@db.internal/shiji_dossier{TLS}", "password"),
    ("SHIJI_DOSSIER_DATABASE_URL", f"postgresql+asyncpg://postgres:pw@db.internal/shiji_dossier{TLS}", "superuser"),
    ("SHIJI_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT", "SASL_SSL"),
])
def test_production_mode_refuses_to_serve_without_tls_and_credentials(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str, says: str) -> None:
    """Issue 19: every hop to PostgreSQL and Kafka encrypted, the server verified, the service logged in as itself."""
    for name, setting in {**PRODUCTION_ENV, "SHIJI_PRODUCTION": "true"}.items():
        monkeypatch.setenv(name, setting)
    monkeypatch.setenv(variable, value)
    started = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *a, **k: started.append(a))
    assert cli.main(["serve", "dossier"]) == 2 and not started
    err = capsys.readouterr().err
    assert f"{variable} " in err and says in err, err


@pytest.mark.parametrize("service", ["dossier", "scoring"])
def test_a_key_file_that_holds_no_ed25519_public_key_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                service: str) -> None:
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **k: pytest.fail("started"))
    keys = tmp_path / "not-a-key.pem"
    keys.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    monkeypatch.setenv(f"SHIJI_{service.upper()}_GATEWAY_KEYS_FILE", str(keys))
    assert cli.main(["serve", service]) == 2
    assert "not PEM public keys" in capsys.readouterr().err


def test_production_mode_wants_the_gateways_calls_over_https_to_a_ca_of_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19: the gateway -> dossier/scoring hop is encrypted too, the services' certificates checked."""
    for name, value in GATEWAY_ENV.items():
        monkeypatch.setenv(name, value)
    assert production_problems(GatewaySettings()) == []
    monkeypatch.setenv("SHIJI_GATEWAY_SCORING_URL", "http://shiji-scoring:8002")
    assert production_problems(GatewaySettings()) == [
        "SHIJI_GATEWAY_SCORING_URL must be an https:// URL: the hop is encrypted"]
    monkeypatch.setenv("SHIJI_GATEWAY_SCORING_URL", GATEWAY_ENV["SHIJI_GATEWAY_SCORING_URL"])
    monkeypatch.delenv("SHIJI_GATEWAY_SERVICE_CA_FILE")
    assert [p.split()[0] for p in production_problems(GatewaySettings())] == ["SHIJI_GATEWAY_SERVICE_CA_FILE"]
    monkeypatch.delenv("SHIJI_GATEWAY_DOSSIER_URL")  # the default, http://127.0.0.1:8001
    assert {p.split()[0] for p in production_problems(GatewaySettings())} == {
        "SHIJI_GATEWAY_DOSSIER_URL", "SHIJI_GATEWAY_SERVICE_CA_FILE"}


@pytest.mark.parametrize(("service", "variable", "value"), [
    ("gateway", "SHIJI_GATEWAY_DOSSIER_URL", "http://shiji-dossier:8001"),
    ("gateway", "SHIJI_GATEWAY_SERVICE_CA_FILE", None),
    ("dossier", "SHIJI_DOSSIER_TLS_CERT_FILE", None),
    ("scoring", "SHIJI_SCORING_TLS_KEY_FILE", None),
])
def test_production_mode_refuses_to_serve_the_service_hop_in_the_clear(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], service: str, variable: str,
        value: str | None) -> None:
    for name, setting in {**PRODUCTION_ENV, **GATEWAY_ENV, "SHIJI_PRODUCTION": "true"}.items():
        monkeypatch.setenv(name, setting)
    monkeypatch.setenv(variable, value) if value is not None else monkeypatch.delenv(variable)
    monkeypatch.setattr(cli.uvicorn, "run", lambda *a, **k: pytest.fail("started"))
    assert cli.main(["serve", service]) == 2
    err = capsys.readouterr().err
    assert f"production mode: {variable} " in err, err


def tls_files(folder: Path) -> dict[str, Path]:
    from shared.service_tls import CA_CERT_FILE, ensure_service_certificates

    made = ensure_service_certificates(folder)
    return {"ca": folder / CA_CERT_FILE, **{f"{s}_{p}": path for s, pair in made.items()
                                            for p, path in zip(("cert", "key"), pair, strict=True)}}


def test_a_service_serves_https_with_its_certificate_and_key_and_refuses_half_a_pair(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    keys = tmp_path / "gateway.pub.pem"
    keys.write_bytes(public_pem(CallSigner.generated().public_key))
    files = tls_files(tmp_path / "tls")
    for name, value in {"SHIJI_SCORING_GATEWAY_KEYS_FILE": str(keys), "SHIJI_SCORING_CONSUME": "false",
                        "SHIJI_SCORING_PUBLISH": "false", "SHIJI_SCORING_TLS_CERT_FILE": str(files["scoring_cert"])
                        }.items():
        monkeypatch.setenv(name, value)
    started: list[dict] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **k: started.append(k))
    assert cli.main(["serve", "scoring"]) == 2 and not started
    assert "SHIJI_SCORING_TLS_KEY_FILE" in capsys.readouterr().err
    monkeypatch.setenv("SHIJI_SCORING_TLS_KEY_FILE", str(files["scoring_key"]))
    assert cli.main(["serve", "scoring"]) == 0
    assert (started[0]["ssl_certfile"], started[0]["ssl_keyfile"]) == (str(files["scoring_cert"]),
                                                                       str(files["scoring_key"]))


def test_a_gateway_given_a_ca_for_an_http_service_refuses_to_start(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A CA with an http:// URL is a mistake that would send the calls in the clear: said, not ignored."""
    from shared.service_identity import ensure_key_pair

    private, _ = ensure_key_pair(tmp_path / "identity")
    public_key = tmp_path / "jwt.pub.pem"
    public_key.write_bytes(public_pem(CallSigner.generated().public_key))
    for name, value in {"SHIJI_GATEWAY_SERVICE_KEY_FILE": str(private),
                        "SHIJI_GATEWAY_JWT_PUBLIC_KEY_FILE": str(public_key),
                        "SHIJI_GATEWAY_SERVICE_CA_FILE": str(tls_files(tmp_path / "tls")["ca"]),
                        "SHIJI_GATEWAY_DOSSIER_URL": "https://127.0.0.1:8001"}.items():
        monkeypatch.setenv(name, value)
    started = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **k: started.append(k))
    assert cli.main(["serve", "gateway"]) == 2 and not started
    assert "SHIJI_GATEWAY_SCORING_URL is not https://" in capsys.readouterr().err
    monkeypatch.setenv("SHIJI_GATEWAY_SCORING_URL", "https://127.0.0.1:8002")
    assert cli.main(["serve", "gateway"]) == 0 and started
