"""TLS on the gateway's calls to dossier and scoring: the last hop of the production wiring to be encrypted.

The calls were already authenticated (shared/service_identity.py: a signed token on each); this module makes
the wire private too, and lets the gateway know it talks to the real service. The decisions:

- server TLS only, no client certificates: the token already proves the caller, per call and per user, and
  checking it costs microseconds; a client certificate would prove the same caller a second time;
- a private CA, trusted by the gateway alone (``SHIJI_GATEWAY_SERVICE_CA_FILE``): it trusts nothing else for
  these calls (not the system's CAs), and the services' certificates name them by every name they are
  reached by (loopback, compose, Kubernetes), so the hostname is checked as for any HTTPS call;
- one certificate per service, not one for both: a stolen scoring key cannot pose as the dossier;
- ECDSA P-256 keys: the handshake costs a fraction of RSA's, and it is paid once per pooled connection
  (the gateway keeps one keep-alive pool per service, services/gateway/upstream.py), not per call.

Where the certificates come from: ``shiji service-keys --dir`` (compose, tests) and
``deploy/local/service-keys.sh`` (openssl) make the CA and both certificates once and keep them; in Kubernetes
they are Secrets and the CA sits in the ``shiji-ca`` ConfigMap. Rotation: docs/operations.md, "Certificates".
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT_FILE = "service-ca.crt"
CA_KEY_FILE = "service-ca.key"
NAMESPACE = "shiji"  # deploy/kubernetes/kustomization.yaml


def names_of(service: str) -> list[str]:
    """Every name ``service`` is reached by: loopback (``deploy/local``, tests), compose, Kubernetes."""
    k8s = f"shiji-{service}"
    return ["127.0.0.1", "localhost", service, k8s, f"{k8s}.{NAMESPACE}.svc", f"{k8s}.{NAMESPACE}.svc.cluster.local"]


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """What the gateway checks the services' certificates with: only ``ca_file``'s CA(s) when given (the system's
    CAs otherwise), the hostname always. ValueError when the file holds no certificate."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file is not None else None)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"{ca_file}: not a PEM file of CA certificates ({exc})") from exc


def serving_options(cert_file: Path | None, key_file: Path | None, cert_variable: str,
                    key_variable: str) -> dict[str, str]:
    """uvicorn's TLS arguments: HTTPS with both files, plain HTTP with neither; ValueError with one only."""
    if cert_file is None and key_file is None:
        return {}
    if cert_file is None or key_file is None:
        raise ValueError(f"set both {cert_variable} and {key_variable}, or neither: a certificate is served with "
                         f"its key")
    for path in (cert_file, key_file):
        if not path.is_file():
            raise ValueError(f"{path}: no such file")
    return {"ssl_certfile": str(cert_file), "ssl_keyfile": str(key_file)}


def ensure_service_certificates(folder: Path, services: tuple[str, ...] = ("dossier", "scoring"),
                                days: int = 825) -> dict[str, tuple[Path, Path]]:
    """The private CA (``service-ca.crt``) and, per service, ``<service>.crt`` and ``<service>.key`` in
    ``folder``; each made unless already there (keys mode 0600). What each service serves with, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert_path, ca_key_path = folder / CA_CERT_FILE, folder / CA_KEY_FILE
    now = dt.datetime.now(dt.UTC)
    if not (ca_cert_path.exists() and ca_key_path.exists()):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shiji-service-ca")])
        ca_cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ca_key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                   .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                  critical=True)
                   .sign(ca_key, hashes.SHA256()))
        _write_private(ca_key_path, ca_key)
        ca_cert_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    made = {}
    for service in services:
        cert_path, key_path = folder / f"{service}.crt", folder / f"{service}.key"
        if not (cert_path.exists() and key_path.exists()):
            key = ec.generate_private_key(ec.SECP256R1())
            cert = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"shiji-{service}")]))
                    .issuer_name(ca_cert.subject).public_key(key.public_key())
                    .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                    .not_valid_after(now + dt.timedelta(days=days))
                    .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names_of(service)]),
                                   critical=False)
                    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                    .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
                                   critical=False)
                    .sign(ca_key, hashes.SHA256()))  # type: ignore[arg-type]
            _write_private(key_path, key)
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        made[service] = (cert_path, key_path)
    return made


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write_private(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
