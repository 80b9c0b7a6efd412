"""Model cards: the JSON beside each weights file that says what the model is and how good."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

# Where MTCNN's five landmarks (image-left eye, image-right eye, nose tip, mouth
# corners), found on the full photo, fall inside the 150x150 chip dlib's own pipeline
# (HOG + 5-point + get_face_chip, padding 0.25) cuts from that photo, as fractions of the
# chip side: the median over 958 training-side photos (LFW + CelebA). Made by
# tools/fit_mtcnn_template.py; models/dlib-resnet-mtcnn-v2.json records the fit.
DLIB_CHIP_MTCNN_TEMPLATE = [
    [0.32108, 0.30705], [0.68015, 0.30657], [0.49831, 0.52521], [0.34395, 0.69651], [0.65636, 0.69687],
]


def alignment_spec(size: int) -> dict[str, Any]:
    return {
        "method": "similarity transform (least squares) of the 5 MTCNN landmarks onto the template",
        "size": size, "template": DLIB_CHIP_MTCNN_TEMPLATE,
        "template_units": "fractions of the chip side; x right, y down",
        "template_origin": "median of MTCNN's full-photo landmarks inside the chips dlib's pipeline cuts "
                           "(HOG + 5-point, padding 0.25), 958 training-side photos, tools/fit_mtcnn_template.py",
    }


def fresh_card(architecture: str, pretrained: str | None) -> dict[str, Any]:
    """The card of an untrained (or downloaded) network, before any training run."""
    from app.face.networks import ARCHITECTURES

    spec = ARCHITECTURES[architecture]
    return {"model_id": f"{architecture}-{pretrained or 'scratch'}", "architecture": architecture,
            "input_size": spec.input_size, "embedding_dim": spec.embedding_dim,
            "alignment": alignment_spec(spec.input_size), "flip_average": False,
            "source": pretrained or "random initialisation", "recommended_threshold": 1.0}


def write_model(models_dir: Path, model_id: str, network: torch.nn.Module, card: dict[str, Any],
                half: bool = False) -> Path:
    """Save weights (optionally fp16 to halve the file) and the card; return the card path."""
    models_dir.mkdir(parents=True, exist_ok=True)
    weights = f"{model_id}.pt"
    state = {k: (v.half() if half and v.is_floating_point() else v).contiguous()
             for k, v in network.state_dict().items()}
    torch.save(state, models_dir / weights)
    card = {"model_id": model_id, "weights": weights, "weights_dtype": "float16" if half else "float32", **card}
    path = models_dir / f"{model_id}.json"
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path




HELD_OUT_KEYS = ("split", "photos", "people", "failures", "pairs", "genuine", "impostor", "genuine_mean",
                 "impostor_mean", "auc", "eer", "tar_at_far_1e-2", "tar_at_far_1e-3", "threshold_at_far_1e-3",
                 "tar_at_far_1e-4", "accuracy_best", "threshold_best")


def record_held_out(path: Path, dataset: str, report: dict[str, Any]) -> float:
    """Keep held-out metrics in the card; the recommended threshold is the strictest FAR=1e-3 one."""
    card = json.loads(Path(path).read_text())
    held_out = card.setdefault("held_out", {})
    held_out[dataset] = {k: report[k] for k in HELD_OUT_KEYS if k in report}
    threshold = min(m["threshold_at_far_1e-3"] for m in held_out.values())
    card["recommended_threshold"] = round(threshold, 4)
    card["threshold_note"] = ("distance at FAR=1e-3 on held-out identities, the strictest over: "
                              + ", ".join(sorted(held_out)))
    Path(path).write_text(json.dumps(card, indent=2) + "\n")
    return threshold
