"""MTCNN's three small networks on ONNX Runtime, behind facenet-pytorch's own detection code.

facenet-pytorch runs P-Net, R-Net and O-Net through eager PyTorch, whose max-pooling and
small convolutions are slow on these CPUs (ONNX Runtime saves ~15% of MTCNN's time on a
640 px photo, ~10% on the 320 px copy served by default). The stages are swapped for ONNX
Runtime sessions with the same inputs and outputs; the pyramid, NMS and box refinement
stay the library's. Each stage is checked against PyTorch before use. This is the comparison
path (FACEGATE_DETECTOR=mtcnn, needs facegate[train]); the default detector is app/face/lean_detector.py.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from facenet_pytorch import MTCNN

from app.face.onnx_backend import session
from app.face.onnx_export import PARITY_ABS, OnnxParityError, export_graph, weights_digest

log = logging.getLogger(__name__)

# stage -> (example input, dynamic input axes, outputs)
STAGES = {
    "pnet": ((1, 3, 60, 80), {0: "batch", 2: "height", 3: "width"}, ["boxes", "probabilities"]),
    "rnet": ((4, 3, 24, 24), {0: "batch"}, ["boxes", "probabilities"]),
    "onet": ((4, 3, 48, 48), {0: "batch"}, ["boxes", "landmarks", "probabilities"]),
}


class OnnxStage(torch.nn.Module):
    """Called like the torch stage it replaces: a tensor in, a tuple of tensors out."""

    def __init__(self, graph) -> None:  # noqa: ANN001 - an onnxruntime.InferenceSession
        super().__init__()
        self.graph = graph
        # detect_face() reads the stage's dtype from its first parameter.
        self.dtype_anchor = torch.nn.Parameter(torch.zeros(()), requires_grad=False)

    def forward(self, batch: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(torch.from_numpy(out) for out in self.graph.run(None, {"input": batch.contiguous().numpy()}))


def use_onnx_stages(mtcnn: MTCNN, cache_dir: Path, threads: int) -> None:
    """Replace the three stages of `mtcnn` in place (each only if it passes the parity check)."""
    rng = np.random.default_rng(0)
    for name, (shape, dynamic, outputs) in STAGES.items():
        network = getattr(mtcnn, name)
        path = cache_dir / f"mtcnn-{name}-{weights_digest(network)}.onnx"
        export_graph(network, torch.zeros(shape), path, outputs, dynamic)
        stage = OnnxStage(session(path, threads))
        check_shape = (shape[0], 3, 97, 131) if name == "pnet" else shape  # another size than exported
        check = torch.from_numpy(rng.uniform(-1, 1, check_shape).astype(np.float32))
        with torch.inference_mode():
            want = network(check)
        worst = max(float((w - g).abs().max()) for w, g in zip(want, stage(check)))
        if worst > PARITY_ABS:
            raise OnnxParityError(f"ONNX export of MTCNN {name} differs from PyTorch (max |diff| {worst:.2e})")
        setattr(mtcnn, name, stage)
    log.info("MTCNN on ONNX Runtime", extra={"cache_dir": str(cache_dir)})
