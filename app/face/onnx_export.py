"""Export the torch face networks to the ONNX graphs the service runs (needs the training extra).

Run once at development time (`facegate models export-onnx`); the graphs are committed under
models/ and served without PyTorch. The export is deterministic (same torch, same weights ->
same bytes), and every graph is checked against its torch network before it is written.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch

PARITY_COSINE = 0.9999  # encoder embeddings, ONNX vs PyTorch
PARITY_ABS = 1e-3  # MTCNN stage outputs (probabilities, offsets in [-1, 1])
OPSET = 17


class OnnxParityError(RuntimeError):
    """The exported graph does not reproduce the torch network."""


def weights_digest(network: torch.nn.Module) -> str:
    """A short hash of a network's weights: the cache key of a graph exported at run time."""
    digest = hashlib.sha256()
    for name, tensor in sorted(network.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def export_graph(network: torch.nn.Module, example: torch.Tensor, path: Path, outputs: list[str],
                 dynamic: dict[int, str], overwrite: bool = False) -> None:
    """Export (once unless `overwrite`); a graph another process is exporting is never half-read."""
    if path.exists() and not overwrite:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with torch.inference_mode(False), torch.no_grad():
        torch.onnx.export(network.eval(), example, str(tmp), input_names=["input"], output_names=outputs,
                          dynamic_axes={"input": dynamic, **{name: {0: "batch"} for name in outputs}},
                          opset_version=OPSET, dynamo=False)
    tmp.replace(path)


def encoder_parity(network: torch.nn.Module, graph: Path, size: int, chips: np.ndarray | None = None) -> float:
    """The smallest cosine between torch and ONNX Runtime embeddings of `chips` (N, S, S, 3 uint8)
    or of random chips."""
    from app.face.onnx_backend import session

    if chips is None:
        chips = np.random.default_rng(0).integers(0, 256, (4, size, size, 3)).astype(np.uint8)
    batch = np.ascontiguousarray(chips.transpose(0, 3, 1, 2), np.float32)
    with torch.inference_mode():
        want = network.eval()(torch.from_numpy(batch)).numpy()
    got = session(graph, 1).run(None, {"input": batch})[0]
    cosine = (want * got).sum(1) / np.linalg.norm(want, axis=1) / np.linalg.norm(got, axis=1)
    return float(cosine.min())


def export_encoder(network: torch.nn.Module, size: int, path: Path) -> float:
    """Write the encoder graph to `path` if it reproduces the network; return the parity cosine."""
    export_graph(network, torch.zeros(2, 3, size, size), path, ["embedding"], {0: "batch"}, overwrite=True)
    cosine = encoder_parity(network, path, size)
    if cosine < PARITY_COSINE:
        path.unlink()
        raise OnnxParityError(f"ONNX export of {path.name} differs from PyTorch (cosine {cosine:.6f})")
    return cosine


def export_onet(path: Path) -> float:
    """facenet-pytorch's O-Net (MTCNN's last stage) as a graph; return the worst |difference|."""
    from facenet_pytorch.models.mtcnn import ONet

    from app.face.onnx_backend import session

    network = ONet().eval()
    export_graph(network, torch.zeros(4, 3, 48, 48), path, ["boxes", "landmarks", "probabilities"], {0: "batch"},
                 overwrite=True)
    check = np.random.default_rng(0).uniform(-1, 1, (8, 3, 48, 48)).astype(np.float32)
    with torch.inference_mode():
        want = network(torch.from_numpy(check))
    got = session(path, 1).run(None, {"input": check})
    worst = max(float(np.abs(w.numpy() - g).max()) for w, g in zip(want, got))
    if worst > PARITY_ABS:
        path.unlink()
        raise OnnxParityError(f"ONNX export of O-Net differs from PyTorch (max |diff| {worst:.2e})")
    return worst


def export_card_graph(card_path: Path) -> dict[str, str]:
    """Export a model card's encoder beside its weights (same stem: cards sharing weights share the
    graph) and record file and sha256 in the card."""
    from app.face.encoder import Encoder

    encoder = Encoder.load(card_path)
    graph = Path(card_path).parent / Path(encoder.card["weights"]).with_suffix(".onnx")
    cosine = export_encoder(encoder.network, encoder.alignment.size, graph)
    return _record_in_card(card_path, "onnx", graph, f"cosine to PyTorch >= {cosine:.7f} on random chips")


def _record_in_card(card_path: Path, key: str, graph: Path, check: str) -> dict[str, str]:
    """Write an exported graph's file, sha256 and how it was checked under `key` of the card."""
    import json

    from app.face.onnx_backend import file_sha256

    card = json.loads(Path(card_path).read_text())
    card[key] = {"file": graph.name, "sha256": file_sha256(graph),
                 "exported": f"torch {torch.__version__} opset {OPSET}, app/face/onnx_export.py; {check}"}
    Path(card_path).write_text(json.dumps(card, indent=2) + "\n")
    return card[key]


def export_explain_graph(card_path: Path) -> dict[str, str]:
    """Export the card's cell-attribution graph (app/face/cell_attribution.py) beside its encoder
    graph, check it against PyTorch on random chips, and record file and sha256 in the card."""
    from app.face.cell_attribution import CellAttribution
    from app.face.encoder import Encoder
    from app.face.onnx_backend import session

    encoder = Encoder.load(card_path)
    size = encoder.alignment.size
    graph = Path(card_path).parent / (Path(encoder.card["weights"]).stem + "-explain.onnx")
    module = CellAttribution(encoder.network).eval()
    outputs = ["cells", "features", "cosine"]
    export_graph(module, torch.zeros(4, 3, size, size), graph, outputs, {}, overwrite=True)
    check = np.random.default_rng(0).integers(0, 256, (4, 3, size, size)).astype(np.float32)
    with torch.no_grad():
        want = module(torch.from_numpy(check))[0].numpy()
    got = session(graph, 1).run(["cells"], {"input": check})[0]
    worst = float(np.abs(want - got).max() / np.abs(want).max())
    if worst > PARITY_ABS:
        graph.unlink()
        raise OnnxParityError(f"ONNX export of {graph.name} differs from PyTorch (relative {worst:.2e})")
    return _record_in_card(card_path, "explain_onnx", graph,
                           f"cell maps within {worst:.1e} of PyTorch (relative) on random chips")


def export_detector_graphs(detector_dir: Path) -> dict[str, str]:
    """Re-export O-Net into `detector_dir` and record its sha256 in the manifest (BlazeFace is
    committed as downloaded; only its digest is checked)."""
    import json

    from app.face.onnx_backend import file_sha256

    manifest_path = detector_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    graph = detector_dir / manifest["onet"]["file"]
    export_onet(graph)
    manifest["onet"]["sha256"] = file_sha256(graph)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return {name: spec["sha256"] for name, spec in manifest.items()}
