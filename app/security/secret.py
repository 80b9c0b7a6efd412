"""The server secret: 32 random bytes in a 0600 file, never in the database or in backups.

Everything that must resist someone who can write the database (API key hashes, the audit
chain) is an HMAC under this secret; replicas on one database share the file.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_BYTES = 32


def create_private_file(path: Path, data: bytes) -> None:
    """Write a new file readable by its owner only; never replace an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


class ServerSecret:
    def __init__(self, key: bytes) -> None:
        if len(key) < SECRET_BYTES:
            raise ValueError(f"the server secret must be at least {SECRET_BYTES} bytes")
        self._key = key

    @classmethod
    def load(cls, path: Path, create: bool = True) -> "ServerSecret":
        """Read the secret file, creating it (0600) the first time if `create`."""
        if not path.exists():
            if not create:
                raise FileNotFoundError(f"no server secret at {path}")
            try:
                create_private_file(path, secrets.token_bytes(SECRET_BYTES))
            except FileExistsError:
                pass  # another process made it first: use theirs
        return cls(path.read_bytes())

    def mac(self, purpose: str, data: bytes) -> str:
        """Hex HMAC-SHA256 of `data`, separated by `purpose` so one use cannot stand in for another."""
        return hmac.new(self._key, purpose.encode() + b"\0" + data, hashlib.sha256).hexdigest()

