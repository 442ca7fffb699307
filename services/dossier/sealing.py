"""Sealing sensitive declarations at rest: AES-256-GCM with a key the dossier service holds.

Only the sealed form is stored and published; the details are opened when a role that needs
them reads the dossier. The key id travels with the ciphertext so keys can be rotated.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_FILE = "declaration.key"


class SealingUnavailable(Exception):
    """No declaration key is configured: sensitive declarations cannot be recorded or opened."""


class Sealer:
    def __init__(self, key: bytes, key_id: str) -> None:
        if len(key) != 32:
            raise ValueError("the declaration key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(key)
        self.key_id = key_id

    @classmethod
    def from_base64(cls, value: str, key_id: str) -> Sealer:
        return cls(base64.b64decode(value), key_id)

    def seal(self, plaintext: str, context: str) -> str:
        """``context`` (the cadre id and declaration kind) is bound in, so a sealed value cannot be moved."""
        nonce = secrets.token_bytes(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plaintext.encode(), context.encode())).decode()

    def open(self, sealed: str, context: str) -> str:
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()


def local_key(data_dir: Path) -> str:
    """The embedded instance's declaration key (base64), created with mode 0600 on first use."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(secrets.token_bytes(32)).decode())
    return path.read_text().strip()
