"""Bearer tokens: who is calling, in which role, for which unit.

The embedded wiring signs its own tokens with an ES256 key kept in the data directory
(``shiji token`` prints one); production verifies the organization's identity-provider (OIDC)
tokens with its keys: a JWKS URL (fetched and cached by PyJWT's ``PyJWKClient``, refetched for an
unknown ``kid``), a JWKS file, or one PEM public key. Only RS256 and ES256 are accepted, so a public
key can never be used as an HMAC secret and ``alg=none`` is refused; issuer, audience, expiry (with
30 s of clock skew) are checked. Revocation: a deny list of ``jti`` values in a file, one per line,
re-read when the file changes (the identity provider's short token lifetimes do the rest).

A token verified once is remembered by its bytes until it expires (``VerifiedTokens``): a client sends
the same token with every request, and checking its signature again each time was a tenth of the
gateway's CPU per request (bench/RESULTS.md, issue 22). Only the signature check is skipped: the expiry
and the deny list are checked on every request as before. A token signed by a key later withdrawn from
the JWKS stays accepted until it expires, as it would be by any service that verified it once.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHMS = ["ES256", "RS256"]
LOCAL_ISSUER = "shiji-local"
AUDIENCE = "shiji"
CLOCK_SKEW = dt.timedelta(seconds=30)
PRIVATE_KEY_FILE = "signing-key.pem"
PUBLIC_KEY_FILE = "signing-key.pub.pem"

# What each role may do to which object: services/gateway/policy.py.
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
    claims = {"sub": subject, "role": role, "iss": issuer, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + ttl,
              "jti": str(uuid.uuid4())}
    if unit:
        claims["unit"] = unit
    return jwt.encode(claims, key, algorithm="ES256")


class RevocationList:
    """Revoked token ids (``jti``), one per line in a file; re-read whenever the file changes."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._stamp: float | None = None
        self._ids: frozenset[str] = frozenset()

    def __contains__(self, jti: object) -> bool:
        if self._path is None:
            return False
        stamp = self._path.stat().st_mtime if self._path.exists() else None
        if stamp != self._stamp:
            lines = self._path.read_text().splitlines() if stamp is not None else []
            self._ids = frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))
            self._stamp = stamp
        return jti in self._ids


class VerifiedTokens:
    """Tokens whose signature and claims were checked: token -> (principal, jti, expiry as a POSIX time)."""

    LIMIT = 100_000  # emptied past this many: a token is checked again, never accepted unchecked

    def __init__(self) -> None:
        self._known: dict[str, tuple[Principal, object, float]] = {}

    def get(self, token: str) -> tuple[Principal, object] | None:
        found = self._known.get(token)
        if found is None:
            return None
        if found[2] + CLOCK_SKEW.total_seconds() <= dt.datetime.now(dt.UTC).timestamp():
            self._known.pop(token, None)
            return None
        return found[0], found[1]

    def keep(self, token: str, principal: Principal, jti: object, expires: float) -> None:
        if len(self._known) >= self.LIMIT:
            self._known.clear()
        self._known[token] = (principal, jti, expires)


class TokenVerifier:
    """Checks a bearer token against one PEM key, a JWKS (file) or a JWKS URL."""

    def __init__(self, public_key_pem: bytes | None = None, *, jwks: jwt.PyJWKSet | None = None,
                 jwks_url: str | None = None, issuer: str = LOCAL_ISSUER, audience: str = AUDIENCE,
                 revoked: RevocationList | None = None) -> None:
        if sum(x is not None for x in (public_key_pem, jwks, jwks_url)) != 1:
            raise ValueError("give exactly one of a PEM public key, a JWKS or a JWKS URL")
        self._key = serialization.load_pem_public_key(public_key_pem) if public_key_pem else None
        self._jwks = jwks
        self._client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._issuer = issuer
        self._audience = audience
        self._revoked = revoked or RevocationList(None)
        self._verified = VerifiedTokens()

    @property
    def blocking(self) -> bool:
        """True when verifying may fetch keys over the network (run it off the event loop)."""
        return self._client is not None

    def _signing_key(self, token: str) -> Any:
        if self._key is not None:
            return self._key
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        assert self._jwks is not None
        kid = jwt.get_unverified_header(token).get("kid")
        candidates = [k for k in self._jwks.keys if kid is None or k.key_id == kid]
        if kid is None and len(candidates) != 1:
            raise InvalidToken("the token names no key (kid) and the key set holds several")
        if not candidates:
            raise InvalidToken(f"no key {kid!r} in the key set")
        return candidates[0].key

    def verify(self, token: str) -> Principal:
        if (known := self._verified.get(token)) is not None:
            principal, jti = known
            if jti in self._revoked:
                raise InvalidToken("the token has been revoked")
            return principal
        try:
            # Refuse other algorithms before any key is chosen: alg=none and HS256-with-the-public-key
            # never reach a key lookup.
            if jwt.get_unverified_header(token).get("alg") not in ALGORITHMS:
                raise InvalidToken("the token's algorithm is not accepted (RS256 or ES256 only)")
            claims = jwt.decode(token, self._signing_key(token), algorithms=ALGORITHMS, audience=self._audience,
                                issuer=self._issuer, leeway=CLOCK_SKEW,
                                options={"require": ["sub", "exp", "iat", "iss", "aud"]})
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims.get("jti") in self._revoked:
            raise InvalidToken("the token has been revoked")
        role = claims.get("role")
        if role not in ROLES:
            raise InvalidToken(f"unknown role {role!r}")
        unit = claims.get("unit")
        principal = Principal(subject=str(claims["sub"]), role=role, unit=str(unit) if unit is not None else None)
        self._verified.keep(token, principal, claims.get("jti"), float(claims["exp"]))
        return principal
