"""The services' certificates (shared/service_tls.py): the ones ``shiji service-keys`` and
``deploy/local/service-keys.sh`` make pass a TLS handshake with the gateway's context for every name the
service is reached by, and for no name of the other service. (Over real sockets: tests/e2e/test_service_tls.py.)"""

from __future__ import annotations

import os
import ssl
import subprocess
from pathlib import Path

import pytest

from shared.service_tls import CA_CERT_FILE, client_context, ensure_service_certificates, names_of, serving_options

ROOT = Path(__file__).resolve().parents[2]


def handshake(cert: Path, key: Path, ca: Path, name: str) -> None:
    """A TLS handshake in memory: the server serves ``cert``, the client checks it against ``ca`` for ``name``."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    pipes = [ssl.MemoryBIO() for _ in range(4)]  # client in/out, server in/out
    client = client_context(ca).wrap_bio(pipes[0], pipes[1], server_hostname=name)
    server = server_context.wrap_bio(pipes[2], pipes[3], server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for side, end in (("client", client), ("server", server)):
            if not done[side]:
                try:
                    end.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        pipes[2].write(pipes[1].read())
        pipes[0].write(pipes[3].read())
        if all(done.values()):
            return
    raise AssertionError("the handshake did not finish")


def made_by_the_script(folder: Path) -> dict[str, tuple[Path, Path]]:
    out = subprocess.run([ROOT / "deploy/local/service-keys.sh"], env={**os.environ, "SHIJI_SERVICE_KEYS_DIR": str(folder)},
                         capture_output=True, text=True, check=True).stdout
    exported = dict(word.split("=", 1) for line in out.splitlines() for word in line.split()[1:])
    assert exported["SHIJI_GATEWAY_SERVICE_CA_FILE"] == str(folder / CA_CERT_FILE)
    assert exported["SHIJI_GATEWAY_DOSSIER_URL"].startswith("https://127.0.0.1:")
    return {s: (Path(exported[f"SHIJI_{s.upper()}_TLS_CERT_FILE"]), Path(exported[f"SHIJI_{s.upper()}_TLS_KEY_FILE"]))
            for s in ("dossier", "scoring")}


@pytest.mark.parametrize("maker", ["python", "openssl"])
def test_each_certificate_passes_for_its_service_names_and_not_the_others(tmp_path: Path, maker: str) -> None:
    made = ensure_service_certificates(tmp_path) if maker == "python" else made_by_the_script(tmp_path)
    for service, (cert, key) in made.items():
        assert oct(key.stat().st_mode & 0o777) == "0o600"
        for name in names_of(service):
            handshake(cert, key, tmp_path / CA_CERT_FILE, name)
        other = "scoring" if service == "dossier" else "dossier"
        for name in names_of(other)[2:]:  # loopback names are shared; the service names are not
            with pytest.raises(ssl.SSLCertVerificationError, match="match"):
                handshake(cert, key, tmp_path / CA_CERT_FILE, name)


def test_a_certificate_of_another_ca_is_refused(tmp_path: Path) -> None:
    cert, key = ensure_service_certificates(tmp_path / "one")["dossier"]
    ensure_service_certificates(tmp_path / "other")
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        handshake(cert, key, tmp_path / "other" / CA_CERT_FILE, "shiji-dossier")


def test_made_once_and_kept(tmp_path: Path) -> None:
    first = {s: cert.read_bytes() for s, (cert, _) in ensure_service_certificates(tmp_path).items()}
    again = {s: cert.read_bytes() for s, (cert, _) in ensure_service_certificates(tmp_path).items()}
    assert first == again


def test_https_takes_both_files_or_neither(tmp_path: Path) -> None:
    cert, key = ensure_service_certificates(tmp_path)["scoring"]
    assert serving_options(None, None, "C", "K") == {}
    assert serving_options(cert, key, "C", "K") == {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    with pytest.raises(ValueError, match="set both C and K"):
        serving_options(cert, None, "C", "K")
    with pytest.raises(ValueError, match="no such file"):
        serving_options(cert, tmp_path / "missing.key", "C", "K")
    with pytest.raises(ValueError, match="not a PEM file"):
        client_context(tmp_path / "missing-ca.crt")
