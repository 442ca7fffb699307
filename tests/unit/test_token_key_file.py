"""``shiji token --key-file``: a token for the production wiring, signed with a local key pair made by the
README's own openssl lines, which a gateway given the public half accepts (issue 15)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from services.cli import cmd_token, parser
from services.gateway.auth import InvalidToken, TokenVerifier

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_openssl_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [m.split("#", 1)[0].strip() for m in re.findall(r"^openssl .*$", text, flags=re.M)]


def token_from_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cmd_token(parser().parse_args(["token", *args]))  # not main(): it would set up the process's logging
    out, err = capsys.readouterr()
    return code, out.strip(), err


def test_the_readme_key_pair_signs_tokens_the_gateway_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = readme_openssl_lines()
    assert len(lines) == 2, lines
    for line in lines:
        subprocess.run(line, shell=True, cwd=tmp_path, check=True, capture_output=True)
    code, token, err = token_from_cli(capsys, "--key-file", str(tmp_path / "idp-private.pem"), "--issuer", "local-idp",
                                      "--role", "clerk", "--subject", "clerk-1", "--unit", "qhd")
    assert code == 0, err
    # what the gateway builds from SHIJI_GATEWAY_JWT_PUBLIC_KEY_FILE and SHIJI_GATEWAY_JWT_ISSUER
    principal = TokenVerifier((tmp_path / "idp-public.pem").read_bytes(), issuer="local-idp").verify(token)
    assert (principal.subject, principal.role, principal.unit) == ("clerk-1", "clerk", "qhd")
    with pytest.raises(InvalidToken):  # another issuer than the gateway expects is refused
        TokenVerifier((tmp_path / "idp-public.pem").read_bytes()).verify(token)


def test_a_key_that_cannot_sign_es256_is_refused_with_the_reason(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem"],
                   cwd=tmp_path, check=True, capture_output=True)
    code, token, err = token_from_cli(capsys, "--key-file", str(tmp_path / "rsa.pem"), "--role", "clerk",
                                      "--subject", "c")
    assert code == 2 and not token and "EC P-256" in err
    (tmp_path / "junk.pem").write_text("not a key")
    code, token, err = token_from_cli(capsys, "--key-file", str(tmp_path / "junk.pem"), "--role", "clerk",
                                      "--subject", "c")
    assert code == 2 and not token and "PEM private key" in err
    code, token, err = token_from_cli(capsys, "--key-file", str(tmp_path / "missing.pem"), "--role", "clerk",
                                      "--subject", "c")
    assert code == 2 and not token
