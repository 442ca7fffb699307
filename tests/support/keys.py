"""Signing keys for tests that build a gateway or forge tokens of their own, and the gateway's key for
proving its calls to the services (shared/service_identity.py)."""

from __future__ import annotations

import functools
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.service_identity import CallSigner
from shared.service_identity import public_pem as service_public_pem


@functools.cache
def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: ec.EllipticCurvePrivateKey | None = None) -> bytes:
    return (key or private_key()).public_key().public_bytes(serialization.Encoding.PEM,
                                                             serialization.PublicFormat.SubjectPublicKeyInfo)


@functools.cache
def service_signer() -> CallSigner:
    """The gateway's signer of its calls, for gateways built by hand over stub services."""
    return CallSigner.generated()


def gateway_keys(folder: Path) -> Path:
    """A file of the gateway's public key (``service_signer``'s), for a service started by hand."""
    path = folder / "gateway-service.pub.pem"
    path.write_bytes(service_public_pem(service_signer().public_key))
    return path
