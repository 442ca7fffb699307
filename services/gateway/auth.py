"""Bearer tokens: who is calling, in which role, for which unit.

The embedded wiring signs its own tokens with an ES256 key kept in the data directory
(``shiji token`` prints one); production verifies the organization's identity-provider tokens
with its public key. Only asymmetric algorithms are accepted, so a public key can never be
used as an HMAC secret and ``alg=none`` is refused.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHMS = ["ES256", "RS256"]
LOCAL_ISSUER = "shiji-local"
AUDIENCE = "shiji"
CLOCK_SKEW = dt.timedelta(seconds=30)
PRIVATE_KEY_FILE = "signing-key.pem"
PUBLIC_KEY_FILE = "signing-key.pub.pem"

# Roles arrive fully with the gateway's authorization (issue 5); for now every role may call
# every endpoint, and the role is recorded as part of the actor.
ROLES = frozenset({"cadre", "leader", "clerk", "auditor", "system_admin", "security_admin", "audit_admin"})


class InvalidToken(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    role: str
    unit: str | None = None


def local_signing_key(data_dir: Path) -> ec.EllipticCurvePrivateKey:
    """The embedded instance's signing key, created (mode 0600) on first use."""
    path = data_dir / PRIVATE_KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    (data_dir / PUBLIC_KEY_FILE).write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key


def issue_token(key: ec.EllipticCurvePrivateKey, *, subject: str, role: str, unit: str | None = None,
                ttl: dt.timedelta = dt.timedelta(hours=12), issuer: str = LOCAL_ISSUER) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {sorted(ROLES)}")
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": subject, "role": role, "iss": issuer, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + ttl}
    if unit:
        claims["unit"] = unit
    return jwt.encode(claims, key, algorithm="ES256")


class TokenVerifier:
    def __init__(self, public_key_pem: bytes, *, issuer: str = LOCAL_ISSUER, audience: str = AUDIENCE) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem)
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._key, algorithms=ALGORITHMS, audience=self._audience, issuer=self._issuer,
                                leeway=CLOCK_SKEW, options={"require": ["sub", "exp", "iat", "iss", "aud"]})
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        role = claims.get("role")
        if role not in ROLES:
            raise InvalidToken(f"unknown role {role!r}")
        return Principal(subject=str(claims["sub"]), role=role, unit=claims.get("unit"))
