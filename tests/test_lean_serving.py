"""The serving path without PyTorch, and its parity with the torch networks it replaces.

The service must run from the serving set alone (no torch installed): a fresh interpreter
that refuses to import torch enrols, verifies and explains a decision over HTTP. Where the training extra is
installed, the ONNX graphs are checked against facenet-pytorch and the torch encoder, and
the BlazeFace + O-Net detector against MTCNN on real photos.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from app.core.settings import Settings
from app.face.decode import decode_image
from app.face.factory import build_detector
from app.face.onnx_backend import GraphMismatch, verified
from tests.helpers import ADMIN_KEY, CELEBA, LFW, REPO_ROOT, photos, read, two_faces, validation_people

NO_TORCH_SERVER = textwrap.dedent("""
    import importlib.abc, json, sys, warnings

    class RefuseTraining(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("torch", "torchvision", "facenet_pytorch", "sklearn", "onnx"):
                raise ImportError(f"{name} is not part of the serving set")
            return None

    sys.meta_path.insert(0, RefuseTraining())
    with warnings.catch_warnings():  # the test client's own deprecation note, not the service's
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from app.core.settings import Settings
    from app.main import create_app

    args = json.loads(sys.argv[1])
    settings = Settings(data_dir=args["data_dir"], database_url=args["database_url"], admin_key=args["key"],
                        face_workers=2)
    admin = {"Authorization": "Bearer " + args["key"]}
    with TestClient(create_app(settings)) as client:
        files = [("images", (f"{i}.jpg", open(p, "rb").read(), "image/jpeg")) for i, p in enumerate(args["enrol"])]
        person = client.post("/v1/people", headers=admin, data={"name": "Colin"}, files=files)
        door = client.post("/v1/admin/doors", headers=admin, json={"name": "Lobby", "mode": "face"}).json()["id"]
        answers = [client.post("/v1/access/verify", headers=admin, data={"door_id": door},
                               files={"image": ("p.jpg", open(p, "rb").read(), "image/jpeg")}).json()
                   for p in args["probes"]]
        explained = client.get(f"/v1/admin/events/{answers[0]['event_id']}/explanation", headers=admin)
        print(json.dumps({"enrolled": person.status_code, "answers": answers,
                          "explanation": [explained.status_code, explained.headers.get("content-type")],
                          "ready": client.get("/readyz").status_code,
                          "torch": "torch" in sys.modules}))
""")


def test_serving_enrols_and_verifies_without_torch(tmp_path: Path, database_url: str) -> None:
    args = {"data_dir": str(tmp_path), "database_url": database_url, "key": ADMIN_KEY,
            "enrol": [str(p) for p in photos("Colin_Powell")[:3]],
            "probes": [str(p) for p in photos("Colin_Powell")[5:7] + photos("Tony_Blair")[:1]]}
    done = subprocess.run([sys.executable, "-c", NO_TORCH_SERVER, json.dumps(args)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["enrolled"] == 201 and result["ready"] == 200 and not result["torch"]
    colin, colin_again, tony = result["answers"]
    assert colin["decision"] == "admit" and colin_again["decision"] == "admit"
    assert tony["decision"] == "reject" and tony["reason"] == "no_match"
    assert result["explanation"] == [200, "image/png"]  # the explanation graph runs on ONNX Runtime too
    assert "Warning" not in done.stderr  # a clean start: no tracer or graph-optimiser warnings


def test_a_damaged_graph_is_refused(tmp_path: Path) -> None:
    graph = tmp_path / "g.onnx"
    graph.write_bytes(b"not the graph")
    with pytest.raises(GraphMismatch):
        verified(graph, "0" * 64)
    with pytest.raises(GraphMismatch):
        verified(tmp_path / "missing.onnx", "0" * 64)


def _door_images() -> list:
    paths = photos("Colin_Powell")[:3] + photos(validation_people(CELEBA, 1)[0], CELEBA)[:3]
    images = [decode_image(read(p), 10**8, 10**9) for p in paths]
    images.append(decode_image(two_faces(photos("Tony_Blair")[0], photos("Colin_Powell")[1]), 10**8, 10**9))
    return images


def test_blazeface_looks_only_at_the_frame_not_at_square_padding() -> None:
    """A 640x480 frame is one 256x192 pass (tools/blazeface_any_size.py); the face is found where a
    frame padded to the square the model was trained on puts it, in landscape and portrait."""
    from PIL import Image

    from app.face.blazeface import BlazeFace

    settings = Settings()
    blazeface = BlazeFace(settings.detectors_path / "blazeface-back.onnx")
    for path, size in ((photos("Colin_Powell")[0], (640, 480)), (photos("Tony_Blair")[1], (480, 640))):
        frame = Image.new("RGB", size, (128, 128, 128))
        frame.paste(decode_image(read(path), 10**8, 10**9), (100, 60))
        padded = Image.new("RGB", (640, 640))
        padded.paste(frame)
        tensor, _ = blazeface._tensor(frame)
        assert tensor.shape[:2] == (size[1] * 256 // 640, size[0] * 256 // 640)
        ours, square = blazeface.propose(frame)[0], blazeface.propose(padded)[0]
        side = square.box[2] - square.box[0]
        assert np.abs(ours.box - square.box).max() < 0.01 * side and abs(ours.score - square.score) < 0.01


def test_onet_graph_matches_facenet_pytorch_on_real_crops() -> None:
    torch = pytest.importorskip("torch")
    from facenet_pytorch.models.mtcnn import ONet as TorchONet

    from app.face.lean_detector import LeanDetector
    from app.face.onet import square

    detector = build_detector(Settings(), threads=2)
    assert isinstance(detector, LeanDetector)
    reference = TorchONet().eval()
    for image in _door_images():
        boxes = square(np.stack([p.box for p in detector._blazeface.propose(image)]))
        crops = detector._onet._crops(image, boxes)
        with torch.inference_mode():
            want = [t.numpy() for t in reference(torch.from_numpy(crops))]
        got = detector._onet._session.run(None, {"input": crops})
        assert max(float(np.abs(w - g).max()) for w, g in zip(want, got)) < 1e-4


def test_onet_input_is_resampled_as_torch_does() -> None:
    """facenet-pytorch shows O-Net crops resized by torch's area interpolation; ours must equal it
    for crops smaller, larger and not a multiple of the 48-px input, and for thin ones."""
    torch = pytest.importorskip("torch")
    from app.face.onet import SIDE, area_resize

    rng = np.random.default_rng(3)
    for height, width in ((48, 48), (20, 31), (97, 97), (271, 263), (400, 45)):
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        want = torch.nn.functional.interpolate(torch.from_numpy(pixels).permute(2, 0, 1)[None].double(),
                                               size=(SIDE, SIDE), mode="area")[0].permute(1, 2, 0).numpy()
        np.testing.assert_allclose(area_resize(pixels, SIDE), want, atol=1e-9)


def test_lean_detector_agrees_with_mtcnn_on_real_photos() -> None:
    pytest.importorskip("torch")
    from app.face.detect import FaceDetector

    lean, mtcnn = build_detector(Settings(), threads=2), FaceDetector()
    for image in _door_images():
        ours, theirs = lean.detect(image), mtcnn.detect(image)
        confident = [d for d in ours if d.probability >= Settings().min_face_probability]
        assert len(confident) == len([d for d in theirs if d.probability >= 0.95]) >= 1
        a, b = max(confident, key=lambda d: d.size), max(theirs, key=lambda d: d.size)
        # Landmarks within ~5% of the face size: what alignment needs (the encoder's accuracy is
        # measured end to end in benchmarks/detect_scale.py and models/README.md).
        assert np.abs(a.landmarks - b.landmarks).max() < 0.05 * b.size
        assert abs(a.size - b.size) < 0.15 * b.size


def _nearest(boxes: np.ndarray, centre: np.ndarray) -> np.ndarray:
    return boxes[np.argmin(np.linalg.norm((boxes[:, :2] + boxes[:, 2:]) / 2 - centre, axis=1))]


def test_onet_is_shown_about_the_box_mtcnn_would_show_it() -> None:
    """The moved BlazeFace box overlaps the box MTCNN's R-Net hands O-Net better than the raw one.
    R-Net gives several boxes per face and O-Net keeps its best, so one photo's box wanders by
    ~0.05 of the side: medians over held-out photos."""
    pytest.importorskip("torch")
    from app.face.blazeface import overlap
    from app.face.detect import FaceDetector
    from app.face.lean_detector import onet_boxes
    from app.face.onet import square

    lean, mtcnn = build_detector(Settings(), threads=2), FaceDetector()
    people = [(name, LFW) for name in validation_people(LFW, 12)] + [(name, CELEBA) for name in validation_people(CELEBA, 6)]
    images = [decode_image(read(p), 10**8, 10**9) for name, dataset in people for p in photos(name, dataset)[:2]]
    moved, raw = [], []
    for image in images:
        found, proposals = mtcnn.detect_with_onet_inputs(image), lean._blazeface.propose(image)
        if not found or not proposals:
            continue
        target = max(found, key=lambda face_and_box: face_and_box[0].size)[1]
        moved.append(overlap(target, onet_boxes(np.stack([p.box for p in proposals]))).max())
        raw.append(overlap(target, square(np.stack([p.box for p in proposals]))).max())
    assert len(moved) >= 30
    assert np.median(moved) > 0.78 and np.median(moved) > np.median(raw) + 0.04


def test_same_decisions_as_the_torch_encoder_on_real_photos() -> None:
    pytest.importorskip("torch")
    from app.face.detect import FaceDetector
    from app.face.encoder import Encoder
    from app.face.factory import serving_pipelines
    from app.face.pipeline import FacePipeline

    lean = serving_pipelines(Settings(face_workers=1))[0]
    torch_encoder = Encoder.load(Settings().model_card)
    reference = FacePipeline(lean.detector, torch_encoder, lean.policy)  # same detector, torch encoder
    mtcnn = FacePipeline(FaceDetector(), torch_encoder, lean.policy)
    people = ["Colin_Powell", "Tony_Blair", "George_W_Bush"]
    probes = [(name, read(p)) for name in people for p in photos(name)[:4]]
    threshold = torch_encoder.recommended_threshold

    def decisions(pipeline: FacePipeline) -> list[str]:
        vectors = pipeline.embed([pipeline.door_chip(data) for _, data in probes])
        gallery = {name: vectors[i * 4] for i, name in enumerate(people)}  # first photo enrols
        out = []
        for (name, _), vector in zip(probes, vectors):
            best = min(gallery, key=lambda n: np.linalg.norm(gallery[n] - vector))
            out.append(best if np.linalg.norm(gallery[best] - vector) <= threshold else "reject")
        return out

    served = decisions(lean)
    assert served == decisions(reference)
    # Another detector moves borderline distances a little: at most one decision of 12 differs.
    assert sum(a != b for a, b in zip(served, decisions(mtcnn))) <= 1
