"""ONNX Runtime sessions for the committed face graphs (no PyTorch needed to serve).

Graphs live under models/ with their sha256 in the model card or detector manifest; a
graph that does not match its recorded digest is refused, so a damaged or swapped file can
never change decisions silently.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import onnxruntime as ort


class GraphMismatch(RuntimeError):
    """A committed graph is missing or differs from the digest recorded for it."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(path: Path, sha256: str) -> Path:
    """`path`, once its contents are known to be the recorded graph."""
    if not path.is_file():
        raise GraphMismatch(f"ONNX graph {path} does not exist (facegate models export-onnx writes it)")
    actual = file_sha256(path)
    if actual != sha256:
        raise GraphMismatch(f"ONNX graph {path} has sha256 {actual}, the card records {sha256}")
    return path


def session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # graph-optimiser notes (unused initialisers) are not faults
    # Idle ORT threads otherwise spin for a while after each run, stealing the cores
    # the other requests need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
