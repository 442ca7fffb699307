"""Service identity: the gateway proves every call it makes to dossier and scoring, and says for whom.

The decision: a short-lived signed token (a JWT signed with Ed25519, ``EdDSA``, by PyJWT), sent as
``Authorization: Bearer`` on every call, checked on every call. Not mutual TLS with a private CA, because:

- the end user must travel *signed*: mutual TLS proves which process opened the connection, and the user
  would still ride in headers the service has to take on trust. The token holds the user (``sub``, ``role``,
  ``unit``), so the service records the identity the gateway vouched for, and nothing else;
- one code path in both wirings: the embedded one calls the services in process (ASGI, no sockets, so no
  TLS), and still goes through the same signing and checking, with a key pair made at start;
- a token is checked per call in microseconds; a client certificate would prove the same caller a second
  time. The wire is encrypted by server TLS (shared/service_tls.py), which the token does not replace. Two
  PEM files: the gateway's private key (a Secret mounted in the gateway only), its public key(s) in the services.

The token says: ``iss`` the gateway (``shiji-gateway``), ``aud`` the one service it is for
(``shiji-dossier``, ``shiji-scoring``), ``iat``/``exp`` (two minutes), ``kid`` the key's thumbprint, and the
end user when there is one. A service refuses (401) a call without a token, a token signed by any other key,
for another service, from another issuer, expired, or with another algorithm; actor headers are not read at
all, whoever sends them. Health, readiness and metrics stay open (probes and Prometheus; the NetworkPolicies
decide who reaches them).

What a token does not do: bind one request. The gateway reuses a user's token for a minute (signing and
checking a new one cost about 0.2 and 0.6 ms on the shared test machine, a reused one about 4 µs each; a
public request makes up to three calls: bench/RESULTS.md, issue 19); one taken off the wire could be
replayed, as that user, to that service, for at most two minutes. The calls travel over HTTPS in production
(shared/service_tls.py), so none is taken off the wire.

Rotation (docs/operations.md): a service accepts every public key in its key file, chosen by ``kid``; add the
new key to the services, then give the gateway the new private key, then remove the old public key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from opentelemetry import trace
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.problems import Problem, problem_response

log = logging.getLogger(__name__)

GATEWAY = "shiji-gateway"
ALGORITHM = "EdDSA"
TOKEN_LIFETIME = dt.timedelta(minutes=2)
REUSE_FOR = dt.timedelta(minutes=1)  # a token is reused until it has this long left, then signed anew
CLOCK_SKEW = dt.timedelta(seconds=10)
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_CACHE_LIMIT = 10_000
_PUBLIC_PEM = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


def audience(service: str) -> str:
    """The ``aud`` of tokens for ``service`` (``dossier``, ``scoring``)."""
    return f"shiji-{service}"


class InvalidProof(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a verified call is for: the end user the gateway vouches for, or nobody (the gateway's own call)."""

    subject: str | None
    role: str | None
    unit: str | None = None


def key_id(key: ed25519.Ed25519PublicKey) -> str:
    """The key's thumbprint: the first 16 bytes of the SHA-256 of its raw bytes, base64url."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:16]).rstrip(b"=").decode()


def private_key_from(path: Path) -> ed25519.Ed25519PrivateKey:
    """The gateway's signing key, an unencrypted Ed25519 PEM (``openssl genpkey -algorithm ed25519``)."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError(f"{path}: the gateway signs its calls with Ed25519: give an Ed25519 private key")
    return key


def public_keys_from(path: Path) -> list[ed25519.Ed25519PublicKey]:
    """Every Ed25519 public key in ``path`` (PEM blocks one after another: two during a rotation)."""
    try:
        blocks = _PUBLIC_PEM.findall(path.read_bytes())
        keys = [serialization.load_pem_public_key(block) for block in blocks]
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not PEM public keys ({exc})") from exc
    if not keys or not all(isinstance(k, ed25519.Ed25519PublicKey) for k in keys):
        raise ValueError(f"{path}: give the gateway's Ed25519 public key(s), PEM")
    return keys  # type: ignore[return-value]


def public_pem(key: ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def private_pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


PRIVATE_KEY_FILE = "gateway-service.pem"
PUBLIC_KEY_FILE = "gateway-service.pub.pem"


def ensure_key_pair(folder: Path) -> tuple[Path, Path]:
    """The gateway's key pair in ``folder`` (``shiji service-keys``), made (private key mode 0600) unless there."""
    private, public = folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE
    if not private.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key = ed25519.Ed25519PrivateKey.generate()
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(private_pem(key))
    if not public.exists():
        public.write_bytes(public_pem(private_key_from(private)))
    return private, public


class CallSigner:
    """The gateway's side: the ``Authorization`` header proving a call to one service, for one user."""

    def __init__(self, key: ed25519.Ed25519PrivateKey, issuer: str = GATEWAY,
                 lifetime: dt.timedelta = TOKEN_LIFETIME) -> None:
        self._key = key
        self._lifetime = lifetime  # longer only for a benchmark that calls a service straight for minutes
        self._kid = key_id(key.public_key())
        self._issuer = issuer
        self._tokens: dict[tuple[str, str | None, str | None, str | None], tuple[str, dt.datetime]] = {}
        self._lock = threading.Lock()

    @classmethod
    def generated(cls) -> CallSigner:
        """A signer with a key made now: the embedded wiring's, whose services trust its public key."""
        return cls(ed25519.Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> ed25519.Ed25519PublicKey:
        return self._key.public_key()

    def header(self, service: str, subject: str | None = None, role: str | None = None,
               unit: str | None = None) -> dict[str, str]:
        now = dt.datetime.now(dt.UTC)
        cache_key = (service, subject, role, unit)
        with self._lock:
            found = self._tokens.get(cache_key)
            if found is None or found[1] - now < min(REUSE_FOR, self._lifetime / 2):
                if len(self._tokens) >= _CACHE_LIMIT:
                    self._tokens.clear()
                claims: dict[str, object] = {"iss": self._issuer, "aud": audience(service), "iat": now,
                                             "exp": now + self._lifetime}
                claims.update({k: v for k, v in (("sub", subject), ("role", role), ("unit", unit)) if v is not None})
                token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid})
                found = self._tokens[cache_key] = (token, now + self._lifetime)
        return {"Authorization": f"Bearer {found[0]}"}


class CallVerifier:
    """A service's side: is this the gateway's proof, for this service? Whom is it for?"""

    def __init__(self, service: str, keys: Iterable[ed25519.Ed25519PublicKey], issuer: str = GATEWAY) -> None:
        self._keys = {key_id(k): k for k in keys}
        if not self._keys:
            raise ValueError("the gateway's public key is needed to check its calls")
        self._audience = audience(service)
        self._issuer = issuer
        self._verified: dict[str, tuple[Caller, float]] = {}  # token -> (caller, exp): checked once, not per call

    def verify(self, authorization: str | None) -> Caller:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise InvalidProof("no proof of the gateway (Authorization: Bearer) on the call")
        now = dt.datetime.now(dt.UTC).timestamp()
        if (known := self._verified.get(token)) is not None and known[1] + CLOCK_SKEW.total_seconds() > now:
            return known[0]
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM:
                raise InvalidProof(f"the proof's algorithm must be {ALGORITHM}")
            key = self._keys.get(str(header.get("kid")))
            if key is None:
                raise InvalidProof("the proof is signed by a key this service does not trust")
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=self._audience, issuer=self._issuer,
                                leeway=CLOCK_SKEW, options={"require": ["iss", "aud", "iat", "exp"]})
        except jwt.PyJWTError as exc:
            raise InvalidProof(str(exc)) from exc
        caller = Caller(_text(claims.get("sub")), _text(claims.get("role")), _text(claims.get("unit")))
        if len(self._verified) >= _CACHE_LIMIT:
            self._verified.clear()
        self._verified[token] = (caller, float(claims["exp"]))
        return caller


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def verifier_from(service: str, keys_file: Path | None, env_name: str) -> CallVerifier:
    if keys_file is None:
        raise ValueError(f"set {env_name}: the gateway's public key(s), which prove the calls this service accepts "
                         "(docs/operations.md, 'Service identity')")
    return CallVerifier(service, public_keys_from(keys_file))


def signer_from(key_file: Path | None, env_name: str) -> CallSigner:
    if key_file is None:
        raise ValueError(f"set {env_name}: the Ed25519 private key the gateway proves its calls to the services with "
                         "(docs/operations.md, 'Service identity')")
    return CallSigner(private_key_from(key_file))


class RequireGatewayProof:
    """ASGI middleware of dossier and scoring: every call but health and metrics carries the gateway's proof,
    or is answered 401 before any route runs. The verified ``Caller`` is in ``request.state.caller``."""

    def __init__(self, app: ASGIApp, verifier: CallVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        authorization = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None)
        try:
            caller = self.verifier.verify(authorization)
        except InvalidProof as exc:
            client = scope.get("client")
            log.warning("refused a call to %s from %s: %s", scope["path"], client[0] if client else "?", exc)
            problem = Problem(401, "gateway-proof-required", "Only the gateway may call this service", str(exc),
                              headers={"WWW-Authenticate": 'Bearer realm="shiji-internal"'})
            await problem_response(problem)(scope, receive, send)
            return
        scope.setdefault("state", {})["caller"] = caller
        span = trace.get_current_span()
        if caller.subject is not None and span.is_recording():  # who the call was for, in the service's own trace
            span.set_attribute("enduser.id", caller.subject)
            span.set_attribute("enduser.role", caller.role or "")
        await self.app(scope, receive, send)
