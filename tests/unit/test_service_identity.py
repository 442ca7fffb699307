"""The gateway's proof (shared/service_identity.py) as pure logic: keys from openssl and from ``shiji
service-keys`` load, a rotation's two public keys are both accepted, and what a service refuses. (The services
refusing calls on both wirings: tests/e2e/test_service_identity.py.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from shared.service_identity import (
    CallSigner,
    CallVerifier,
    InvalidProof,
    ensure_key_pair,
    private_key_from,
    public_keys_from,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_local_script_makes_a_pair_the_services_load_and_keeps_it(tmp_path: Path) -> None:
    def run() -> dict[str, str]:
        out = subprocess.run([ROOT / "deploy/local/service-keys.sh"], env={"SHIJI_SERVICE_KEYS_DIR": str(tmp_path),
                                                                          "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True, check=True).stdout
        return dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    first = run()
    signer = CallSigner(private_key_from(Path(first["SHIJI_GATEWAY_SERVICE_KEY_FILE"])))
    verifier = CallVerifier("dossier", public_keys_from(Path(first["SHIJI_DOSSIER_GATEWAY_KEYS_FILE"])))
    assert verifier.verify(signer.header("dossier", "clerk-1", "clerk")["Authorization"]).subject == "clerk-1"
    before = Path(first["SHIJI_GATEWAY_SERVICE_KEY_FILE"]).read_bytes()
    assert run() == first and Path(first["SHIJI_GATEWAY_SERVICE_KEY_FILE"]).read_bytes() == before


def test_during_a_rotation_both_keys_are_accepted_and_then_only_the_new_one(tmp_path: Path) -> None:
    old_private, old_public = ensure_key_pair(tmp_path / "old")
    new_private, new_public = ensure_key_pair(tmp_path / "new")
    both = tmp_path / "both.pub.pem"
    both.write_bytes(old_public.read_bytes() + new_public.read_bytes())
    old, new = CallSigner(private_key_from(old_private)), CallSigner(private_key_from(new_private))
    during = CallVerifier("scoring", public_keys_from(both))
    for signer in (old, new):
        assert during.verify(signer.header("scoring", "a", "auditor")["Authorization"]).role == "auditor"
    after = CallVerifier("scoring", public_keys_from(new_public))
    after.verify(new.header("scoring")["Authorization"])
    with pytest.raises(InvalidProof, match="does not trust"):
        after.verify(old.header("scoring")["Authorization"])


def test_a_service_refuses_what_is_not_the_gateways_proof_for_it() -> None:
    signer = CallSigner.generated()
    verifier = CallVerifier("dossier", [signer.public_key])
    for authorization in (None, "", "Bearer", "Basic abc", "Bearer x.y.z", signer.header("scoring")["Authorization"],
                          CallSigner.generated().header("dossier")["Authorization"],
                          CallSigner(signer._key, issuer="someone").header("dossier")["Authorization"]):
        with pytest.raises(InvalidProof):
            verifier.verify(authorization)
    caller = verifier.verify(signer.header("dossier")["Authorization"])
    assert (caller.subject, caller.role, caller.unit) == (None, None, None)  # the gateway's own call


def test_a_key_file_of_another_kind_is_refused(tmp_path: Path) -> None:
    ec = tmp_path / "ec.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ec],
                   check=True, capture_output=True)
    with pytest.raises(ValueError, match="Ed25519"):
        private_key_from(ec)
    ec_public = tmp_path / "ec.pub.pem"
    subprocess.run(["openssl", "pkey", "-in", ec, "-pubout", "-out", ec_public], check=True, capture_output=True)
    with pytest.raises(ValueError, match="Ed25519"):
        public_keys_from(ec_public)
