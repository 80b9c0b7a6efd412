"""Biometric data at rest: AES-256-GCM under named data keys kept in a 0600 key file (or one
key given by FACEGATE_DATA_KEY), never in the database or in backups.

A sealed value is MAGIC, the key id, a 12-byte nonce and the ciphertext with its tag; the
purpose is authenticated data, so a crop cannot be passed off as something else. Rotation adds a
key and makes it current; `rotate` callers re-encrypt and then drop the old keys.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.security.secret import create_private_file

MAGIC = b"FGE1"
NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A sealed value that no known key opens (altered, cut, or sealed under a lost key)."""


class DataKeys:
    def __init__(self, keys: dict[str, bytes], current: str, path: Path | None = None) -> None:
        if current not in keys:
            raise ValueError(f"the current data key {current!r} is not in the key set")
        self.keys, self.current, self.path = keys, current, path

    @classmethod
    def load(cls, path: Path, env_key: str = "") -> "DataKeys":
        """The key given in the setting (base64 of 32 bytes, id 'env'), else the key file,
        created with one fresh key the first time."""
        if env_key:
            key = base64.b64decode(env_key)
            if len(key) != 32:
                raise ValueError("FACEGATE_DATA_KEY must be base64 of 32 bytes")
            return cls({"env": key}, "env")
        if not path.exists():
            try:
                create_private_file(path, _dump({"k1": AESGCM.generate_key(256)}, "k1"))
            except FileExistsError:
                pass
        data = json.loads(path.read_text())
        keys = {kid: base64.b64decode(value) for kid, value in data["keys"].items()}
        return cls(keys, data["current"], path)

    def add_key(self) -> str:
        """A new current key, saved (atomically) next to the old ones; returns its id."""
        if self.path is None:
            raise ValueError("a data key given by FACEGATE_DATA_KEY is rotated by changing the setting")
        new_id = f"k{max((int(k[1:]) for k in self.keys if k[1:].isdigit()), default=0) + 1}"
        self.keys[new_id], self.current = AESGCM.generate_key(256), new_id
        self._save()
        return new_id

    def drop_old_keys(self) -> None:
        self.keys = {self.current: self.keys[self.current]}
        self._save()

    def _save(self) -> None:
        assert self.path is not None
        tmp = self.path.with_name(self.path.name + f".{secrets.token_hex(4)}.tmp")
        create_private_file(tmp, _dump(self.keys, self.current))
        os.replace(tmp, self.path)

    def seal(self, data: bytes, purpose: bytes) -> bytes:
        kid = self.current.encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        return MAGIC + bytes([len(kid)]) + kid + nonce + AESGCM(self.keys[self.current]).encrypt(nonce, data, purpose)

    def open(self, sealed: bytes, purpose: bytes) -> bytes:
        if not is_sealed(sealed):
            raise DecryptionError("not a sealed value")
        kid, rest = _split_key_id(sealed)
        if kid not in self.keys:
            raise DecryptionError(f"sealed under data key {kid!r}, which is not in the key set")
        try:
            return AESGCM(self.keys[kid]).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], purpose)
        except InvalidTag as exc:
            raise DecryptionError("the sealed value was altered") from exc

    def key_of(self, sealed: bytes) -> str:
        return _split_key_id(sealed)[0]

    def aead(self, kid: str) -> AESGCM:
        return AESGCM(self.keys[kid])


def is_sealed(value: bytes) -> bool:
    return value[:len(MAGIC)] == MAGIC


def _split_key_id(sealed: bytes) -> tuple[str, bytes]:
    n = sealed[len(MAGIC)]
    start = len(MAGIC) + 1
    return sealed[start:start + n].decode(), sealed[start + n:]


def _dump(keys: dict[str, bytes], current: str) -> bytes:
    return json.dumps({"current": current, "keys": {k: base64.b64encode(v).decode() for k, v in keys.items()}},
                      indent=1).encode()
