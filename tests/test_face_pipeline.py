"""The face pipeline on real photos: detection, reasons, alignment, embeddings."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.core.settings import Settings
from app.face.decode import decode_image
from app.face.detect import FaceDetector
from app.face.errors import FACE_TOO_SMALL, IMAGE_TOO_LARGE, MULTIPLE_FACES, NO_FACE, NOT_AN_IMAGE, FaceRejected
from app.face.factory import build_pipeline
from tests.helpers import CELEBA, LFW, jpeg, no_face, photos, read, two_faces, validation_people


@pytest.fixture(scope="module")
def pipeline():
    return build_pipeline(Settings())


def test_finds_and_aligns_a_face_in_real_photos(pipeline) -> None:
    for path in photos("Colin_Powell")[:3] + photos(validation_people(CELEBA, 1)[0], CELEBA)[:2]:
        face = pipeline.door_chip(read(path))
        size = pipeline.encoder.alignment.size
        assert face.chip.shape == (size, size, 3)
        assert face.detection.probability > 0.95
        # The eyes of an aligned chip sit where the template puts them: bright/dark structure
        # differs between the upper (eyes) and lower (mouth) half, and both halves are non-blank.
        assert face.chip[: size // 2].std() > 10 and face.chip[size // 2:].std() > 10
        assert face.sharpness > 0


def test_reasons_for_unusable_photos(pipeline) -> None:
    cases = {
        NO_FACE: no_face(),
        MULTIPLE_FACES: two_faces(photos("Colin_Powell")[0], photos("Tony_Blair")[0]),
        NOT_AN_IMAGE: b"this is plain text, not a picture",
    }
    small = Image.open(photos("Colin_Powell")[0]).convert("RGB")
    canvas = Image.new("RGB", (1000, 1000), (90, 90, 90))
    canvas.paste(small.resize((100, 100)), (450, 450))  # face of ~35 px after detection downscale
    cases[FACE_TOO_SMALL] = jpeg(canvas)
    for reason, data in cases.items():
        with pytest.raises(FaceRejected) as caught:
            pipeline.door_chip(data)
        assert caught.value.reason == reason, (reason, caught.value.message)


def test_decoder_refuses_bombs_truncation_and_empty(pipeline) -> None:
    header = io.BytesIO()
    Image.new("L", (20000, 20000)).save(header, format="PNG")  # compresses to a few hundred KB
    truncated = read(photos("Colin_Powell")[0])[:3000]
    for data, reason in ((header.getvalue(), IMAGE_TOO_LARGE), (truncated, NOT_AN_IMAGE), (b"", NOT_AN_IMAGE)):
        with pytest.raises(FaceRejected) as caught:
            pipeline.door_chip(data)
        assert caught.value.reason == reason


def test_grayscale_rgba_and_exif_rotation_work(pipeline) -> None:
    path = photos(validation_people(CELEBA, 1)[0], CELEBA)[0]
    original = Image.open(path).convert("RGB")
    reference = pipeline.embed([pipeline.door_chip(jpeg(original, quality=95))])[0]
    grey = pipeline.embed([pipeline.door_chip(jpeg(original.convert("L"), quality=95))])[0]
    rgba = io.BytesIO()
    original.convert("RGBA").save(rgba, format="PNG")
    with_alpha = pipeline.embed([pipeline.door_chip(rgba.getvalue())])[0]
    # Stored rotated, tagged "rotate 90 CW to view" (EXIF orientation 6): must come out upright.
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = jpeg(original.transpose(Image.Transpose.ROTATE_90), quality=95, exif=exif)
    upright = pipeline.embed([pipeline.door_chip(rotated)])[0]
    assert np.linalg.norm(reference - with_alpha) < 0.05
    assert np.linalg.norm(reference - upright) < 0.15
    assert np.linalg.norm(reference - grey) < 0.4  # same person despite the lost colour


def test_embeddings_are_unit_length_and_deterministic(pipeline) -> None:
    chips = [pipeline.door_chip(read(p)) for p in photos("Tony_Blair")[:4]]
    first, second = pipeline.embed(chips), pipeline.embed(chips)
    assert first.dtype == np.float32 and first.shape == (4, pipeline.encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(first, second)
    one_by_one = np.stack([pipeline.embed([c])[0] for c in chips])
    np.testing.assert_allclose(one_by_one, first, atol=1e-5)  # batching does not change results


def test_same_person_closer_than_different_people_on_held_out_people(pipeline) -> None:
    people = [(p, LFW) for p in validation_people(LFW, 4)] + [(p, CELEBA) for p in validation_people(CELEBA, 2)]
    vectors, labels = [], []
    for person, dataset in people:
        for path in photos(person, dataset)[:4]:
            try:
                vectors.append(pipeline.embed([pipeline.door_chip(read(path))])[0])
                labels.append(person)
            except FaceRejected:
                continue
    vectors, labels = np.stack(vectors), np.asarray(labels)
    dist = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    same = labels[:, None] == labels[None]
    off_diag = ~np.eye(len(labels), dtype=bool)
    genuine, impostor = dist[same & off_diag], dist[~same]
    assert genuine.mean() + 0.2 < impostor.mean()
    # Nearly every genuine pair is closer than nearly every impostor pair.
    assert np.percentile(genuine, 90) < np.percentile(impostor, 10)


def test_onnx_backend_matches_torch_on_real_chips(pipeline, tmp_path) -> None:
    from app.face.encoder import Encoder

    chips = np.stack([pipeline.door_chip(read(p)).chip for p in photos("Colin_Powell")[:3] +
                      photos(validation_people(CELEBA, 1)[0], CELEBA)[:3]])
    onnx_encoder = Encoder.load_onnx(Settings().model_card, threads=2)
    assert onnx_encoder.backend == "onnx"
    reference, fast = pipeline.encoder.embed(chips), onnx_encoder.embed(chips)
    assert pipeline.encoder.backend == "torch"
    assert float((reference * fast).sum(axis=1).min()) >= 0.9999  # unit vectors: dot = cosine


def test_mtcnn_on_onnx_finds_the_same_faces_as_torch(tmp_path) -> None:
    reference = FaceDetector()
    detector = FaceDetector()
    detector.use_onnx(tmp_path / "onnx", threads=2)
    assert len(list((tmp_path / "onnx").glob("mtcnn-*.onnx"))) == 3
    images = [decode_image(read(p), 10**8, 10**9) for p in photos("Colin_Powell")[:2] +
              photos(validation_people(CELEBA, 1)[0], CELEBA)[:2]]
    images.append(decode_image(two_faces(photos("Tony_Blair")[0], photos("Colin_Powell")[1]), 10**8, 10**9))
    for want, fast in zip(reference.detect_many(images), detector.detect_many(images)):
        assert len(want) == len(fast) >= 1
        for a, b in zip(want, fast):
            assert np.abs(a.landmarks - b.landmarks).max() < 0.05 and abs(a.probability - b.probability) < 1e-4
