"""Whole files encrypted in blocks (backups): AES-GCM per block, a counter nonce, and the last
block marked in its authenticated data, so an altered, reordered or cut file is refused while
neither side holds more than one block in memory.

Layout: MAGIC, key id length and id, a 4-byte random nonce prefix; then blocks of a 4-byte
ciphertext length and the ciphertext (nonce = prefix + 8-byte block counter).
"""
from __future__ import annotations

import io
import secrets
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag

from app.security.crypto import DataKeys, DecryptionError

MAGIC = b"FGB1"
BLOCK = 1 << 20


def _aad(header: bytes, last: bool) -> bytes:
    return header + (b"\x01" if last else b"\x00")


class EncryptingWriter(io.RawIOBase):
    def __init__(self, out: BinaryIO, keys: DataKeys) -> None:
        kid = keys.current.encode()
        self.out, self.aead, self.prefix = out, keys.aead(keys.current), secrets.token_bytes(4)
        self.header = MAGIC + bytes([len(kid)]) + kid + self.prefix
        self.buffer, self.counter = bytearray(), 0
        out.write(self.header)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # noqa: ANN001 - bytes-like
        self.buffer += data
        while len(self.buffer) > BLOCK:  # keep at least one byte back: the last block is written at close
            self._block(bytes(self.buffer[:BLOCK]), last=False)
            del self.buffer[:BLOCK]
        return len(data)

    def _block(self, plain: bytes, last: bool) -> None:
        nonce = self.prefix + struct.pack(">Q", self.counter)
        sealed = self.aead.encrypt(nonce, plain, _aad(self.header, last))
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.counter += 1

    def close(self) -> None:
        if not self.closed:
            self._block(bytes(self.buffer), last=True)
            self.out.flush()
        super().close()


class DecryptingReader(io.RawIOBase):
    def __init__(self, source: BinaryIO, keys: DataKeys) -> None:
        head = source.read(len(MAGIC) + 1)
        if len(head) < len(MAGIC) + 1 or head[:len(MAGIC)] != MAGIC:
            raise DecryptionError("not an encrypted facegate file")
        kid = source.read(head[-1]).decode(errors="replace")
        if kid not in keys.keys:
            raise DecryptionError(f"encrypted under data key {kid!r}, which is not in the key set")
        self.prefix = source.read(4)
        self.source, self.aead = source, keys.aead(kid)
        self.header = head + kid.encode() + self.prefix
        self.pending, self.counter, self.done = b"", 0, False

    def readable(self) -> bool:
        return True

    def _next_block(self) -> None:
        size = self.source.read(4)
        if len(size) < 4:
            raise DecryptionError("the file is cut short (no final block)")
        sealed = self.source.read(struct.unpack(">I", size)[0])
        nonce = self.prefix + struct.pack(">Q", self.counter)
        self.counter += 1
        for last in (False, True):
            try:
                self.pending = self.aead.decrypt(nonce, sealed, _aad(self.header, last))
            except InvalidTag:
                continue
            if last:
                if self.source.read(1):
                    raise DecryptionError("data follows the final block")
                self.done = True
            return
        raise DecryptionError(f"block {self.counter - 1} was altered or cut, or the file was encrypted "
                              "under another data key")

    def readinto(self, target) -> int:  # noqa: ANN001 - a writable buffer
        while not self.pending and not self.done:
            self._next_block()
        n = min(len(target), len(self.pending))
        target[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n
