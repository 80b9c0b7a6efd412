"""Raw HTTP/1.1 for hostile bodies: send headers and as much body as the server lets us, and see
when it answers. httpx sends a whole body before it reads the answer, so it cannot show that a
server refused an upload without reading it; a socket can (tests/test_edges.py, benchmarks)."""
from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK = 64 * 2**10


@dataclass
class Answer:
    status: int
    body: dict
    sent: int  # body bytes the socket accepted before the answer came


def send_until_answered(url: str, method: str, path: str, headers: dict[str, str], body: Iterable[bytes],
                        chunked: bool = False, timeout: float = 60.0) -> Answer:
    """Send the request head, then `body` piece by piece (chunked encoding if asked) until the server
    answers or closes; then read the answer. The socket's send buffer is kept small, so `sent` is
    close to what the server itself took in."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CHUNK)
        head = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if chunked:
            head.append("Transfer-Encoding: chunked")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sent = 0
        for piece in body:
            if select.select([sock], [], [], 0)[0]:
                break  # an answer (or a close) is waiting
            try:
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        else:
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        return Answer(*_read_answer(sock), sent=sent)


def _read_answer(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            raise ConnectionError(f"the server closed without an answer (got {data[:200]!r})")
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(fields.get("content-length", "0"))
    while len(rest) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        rest += piece
    return status, json.loads(rest[:length]) if length else {}


def multipart(boundary: str, files: int, file_bytes: int) -> Iterable[bytes]:
    """A well-formed enrolment form (a name, `files` image parts of `file_bytes`), made as it is sent."""
    yield f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nMallory\r\n'.encode()
    for i in range(files):
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="images"; filename="{i}.jpg"\r\n'
               f"Content-Type: image/jpeg\r\n\r\n").encode()
        yield from zeros(file_bytes)
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def length(body: Iterable[bytes]) -> int:
    return sum(len(piece) for piece in body)


def zeros(total: int, piece: int = CHUNK) -> Iterable[bytes]:
    """`total` bytes of body, made as they are sent (nothing of that size is ever held)."""
    block = b"\0" * piece
    for _ in range(total // piece):
        yield block
