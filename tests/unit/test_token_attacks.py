"""Token attacks against the gateway's verifier: each forged or stale token is refused, a good one
passes, from a PEM key, a JWKS file and a JWKS URL."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from services.gateway.auth import AUDIENCE, LOCAL_ISSUER, InvalidToken, RevocationList, TokenVerifier, issue_token
from tests.support.keys import private_key, public_pem


def claims(**overrides: object) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    return {"sub": "clerk-1", "role": "clerk", "unit": "city", "iss": LOCAL_ISSUER, "aud": AUDIENCE, "iat": now,
            "exp": now + dt.timedelta(minutes=5), "jti": "t-1", **overrides}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, object], payload: dict[str, object], sign) -> str:
    """A token assembled by hand, as an attacker would (PyJWT refuses to make some of these)."""
    body = {k: int(v.timestamp()) if isinstance(v, dt.datetime) else v for k, v in payload.items()}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(body).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(public_pem())


def test_a_good_token_passes(verifier: TokenVerifier) -> None:
    principal = verifier.verify(jwt.encode(claims(), private_key(), algorithm="ES256"))
    assert (principal.subject, principal.role, principal.unit) == ("clerk-1", "clerk", "city")
    assert verifier.verify(issue_token(private_key(), subject="c", role="cadre")).role == "cadre"


def test_alg_none_is_refused(verifier: TokenVerifier) -> None:
    token = hand_made({"alg": "none", "typ": "JWT"}, claims(), lambda _: b"")
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(token)
    with pytest.raises(InvalidToken):
        verifier.verify(token.rsplit(".", 1)[0] + ".")


def test_hs256_signed_with_the_public_key_is_refused(verifier: TokenVerifier) -> None:
    token = hand_made({"alg": "HS256", "typ": "JWT"}, claims(),
                      lambda data: hmac.new(public_pem(), data, hashlib.sha256).digest())
    with pytest.raises(InvalidToken, match="algorithm"):
        verifier.verify(token)


@pytest.mark.parametrize("overrides, message", [
    ({"iss": "https://evil.example"}, "issuer"),
    ({"aud": "another-system"}, "(?i)audience"),
    ({"exp": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)}, "expired"),
    ({"role": "superuser"}, "role"),
])
def test_wrong_issuer_audience_expired_or_role_is_refused(verifier: TokenVerifier, overrides, message: str) -> None:
    with pytest.raises(InvalidToken, match=message):
        verifier.verify(jwt.encode(claims(**overrides), private_key(), algorithm="ES256"))


def test_a_small_clock_skew_is_tolerated(verifier: TokenVerifier) -> None:
    just_expired = claims(exp=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=10))
    assert verifier.verify(jwt.encode(just_expired, private_key(), algorithm="ES256")).subject == "clerk-1"


def test_a_token_signed_with_another_key_is_refused(verifier: TokenVerifier) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidToken, match="Signature"):
        verifier.verify(jwt.encode(claims(), other, algorithm="ES256"))


def test_a_revoked_token_is_refused(tmp_path: Path) -> None:
    deny = tmp_path / "revoked.txt"
    verifier = TokenVerifier(public_pem(), revoked=RevocationList(deny))
    token = jwt.encode(claims(jti="leaked-1"), private_key(), algorithm="ES256")
    assert verifier.verify(token)  # no file yet: nothing revoked
    deny.write_text("# revoked after a leak\nleaked-1\n")
    with pytest.raises(InvalidToken, match="revoked"):
        verifier.verify(token)


def rsa_jwks(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, object]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return key, {"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "RS256"}]}


def test_rs256_from_a_jwks_file_and_an_unknown_kid() -> None:
    key, jwks = rsa_jwks("idp-2026")
    verifier = TokenVerifier(jwks=jwt.PyJWKSet.from_dict(jwks), issuer="https://idp.example")
    good = jwt.encode(claims(iss="https://idp.example"), key, algorithm="RS256", headers={"kid": "idp-2026"})
    assert verifier.verify(good).role == "clerk"
    stranger = jwt.encode(claims(iss="https://idp.example"), key, algorithm="RS256", headers={"kid": "other"})
    with pytest.raises(InvalidToken, match="no key"):
        verifier.verify(stranger)


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    key, jwks = rsa_jwks("k1")
    body = json.dumps(jwks).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_rs256_from_a_jwks_url(jwks_server: tuple[str, rsa.RSAPrivateKey]) -> None:
    url, key = jwks_server
    verifier = TokenVerifier(jwks_url=url)
    assert verifier.blocking
    token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(token).subject == "clerk-1"
    expired = jwt.encode(claims(exp=int(time.time()) - 120), key, algorithm="RS256", headers={"kid": "k1"})
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(expired)
