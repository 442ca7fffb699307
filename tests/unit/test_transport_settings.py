"""The pure parts of issue 19: TLS read from a database URL, Kafka client options, the run-time grants."""

from __future__ import annotations

import ssl

from shared.db_grants import grant_statements
from shared.db_tls import split_tls
from shared.kafka_connection import KafkaConnection

CA = "/etc/ssl/certs/ca-certificates.crt"


def test_verify_full_checks_the_certificate_and_the_host_name() -> None:
    url, context = split_tls(f"postgresql+asyncpg://u:p@db:5432/d?sslmode=verify-full&sslrootcert={CA}")
    assert url == "postgresql+asyncpg://u:p@db:5432/d"  # asyncpg would take the query for keyword arguments
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    _, ca_only = split_tls(f"postgresql+asyncpg://u:p@db/d?sslmode=verify-ca&sslrootcert={CA}")
    assert isinstance(ca_only, ssl.SSLContext) and not ca_only.check_hostname
    assert split_tls("postgresql+asyncpg://u:p@db/d?sslmode=require") == ("postgresql+asyncpg://u:p@db/d", "require")
    assert split_tls("postgresql+asyncpg://u:p@db/d") == ("postgresql+asyncpg://u:p@db/d", None)


def test_kafka_options_log_in_over_tls_only_when_asked() -> None:
    assert KafkaConnection("k:9092").client_options() == {"bootstrap_servers": "k:9092", "security_protocol": "PLAINTEXT"}
    options = KafkaConnection("k:9093", "SASL_SSL", "SCRAM-SHA-512", "shiji-dossier", "pw", CA).client_options()
    assert options["sasl_plain_username"] == "shiji-dossier" and options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["ssl_cafile"] == CA and options["ssl_check_hostname"] is True
    assert "pw" not in repr(KafkaConnection("k", "SASL_SSL", password="pw"))


def test_the_append_only_tables_get_no_update_or_delete() -> None:
    statements = grant_statements("dossier", "d", ["access_log", "alembic_version", "cadre_directory", "events"],
                                  "shiji_dossier", "shiji_store_reader")
    assert 'GRANT SELECT, INSERT ON "events" TO "shiji_dossier"' in statements
    assert 'GRANT SELECT, INSERT ON "access_log" TO "shiji_dossier"' in statements
    assert 'GRANT SELECT ON "alembic_version" TO "shiji_dossier"' in statements
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON "cadre_directory" TO "shiji_dossier"' in statements
    assert not [s for s in statements if "events" in s and ("UPDATE" in s or "DELETE" in s) and "GRANT" in s]
    assert [s for s in statements if "shiji_store_reader" in s and "ON \"" in s] == [
        'GRANT SELECT ON "events" TO "shiji_store_reader"']
    assert statements[0] == 'REVOKE ALL ON DATABASE "d" FROM PUBLIC'
