"""The alignment template: its fitting maths on synthetic photos, and serving chips against dlib's."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.core.settings import Settings
from app.face.factory import build_detector
from app.face.quality import select_training_face
from app.training.template_fit import (
    DLIB_CHIP_PADDING,
    DLIB_FIVE_POINT_CHIP,
    HALF_PIXEL,
    apply,
    chip_offset,
    dlib_chip_mapping,
    fit_template,
)
from tests.helpers import DATA, REPO_ROOT

SIZE = 150
DLIB_PARTS = Path(__file__).parent / "data" / "dlib_parts.json"
# A plausible geometry, unlike the one the fit starts from anywhere.
TRUE_TEMPLATE = np.array([[0.30, 0.31], [0.69, 0.30], [0.50, 0.52], [0.33, 0.70], [0.66, 0.71]])


def _template(card: str) -> np.ndarray:
    return np.asarray(json.loads((REPO_ROOT / "models" / card).read_text())["alignment"]["template"])


def _splat(image: np.ndarray, channel: int, point: np.ndarray) -> None:
    """Draw a point bilinearly, so the channel's centroid is exactly the point."""
    x0, y0 = np.floor(point).astype(int)
    fx, fy = point - (x0, y0)
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        image[y0 + dy, x0 + dx, channel] += w


def _centroids(image: np.ndarray, channels: range) -> np.ndarray:
    ys, xs = np.mgrid[: image.shape[0], : image.shape[1]]
    return np.array([[(xs * image[..., c]).sum() / image[..., c].sum(),
                      (ys * image[..., c]).sum() / image[..., c].sum()] for c in channels])


def _synthetic_photo(rng: np.random.Generator) -> np.ndarray:
    """A 400-px photo with a face of random size, turn and place: dlib's five parts in
    channels 0-4 (dlib pixel convention), the detector's landmarks in 5-9 (PIL convention)."""
    angle, side = rng.uniform(-0.4, 0.4), rng.uniform(90, 220)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = rng.uniform(150, 250, 2)
    chip_points = (DLIB_CHIP_PADDING + DLIB_FIVE_POINT_CHIP) / (2 * DLIB_CHIP_PADDING + 1) * SIZE
    parts = (chip_points - SIZE / 2) @ rotation.T * (side / SIZE) + centre
    to_photo = np.linalg.inv(np.vstack([dlib_chip_mapping(parts, SIZE), [0, 0, 1]]))[:2]
    landmarks = apply(to_photo, TRUE_TEMPLATE * SIZE - HALF_PIXEL) + HALF_PIXEL
    landmarks += rng.normal(0, 0.3, landmarks.shape)  # a detector's jitter
    image = np.zeros((400, 400, 10))
    for i, point in enumerate(np.vstack([parts, landmarks])):
        _splat(image, i, point)
    return image


def test_dlib_mapping_of_a_photo_that_is_already_dlibs_chip() -> None:
    # Parts exactly where dlib's template puts them: the chip is the photo, up to dlib's
    # corner convention (rectangle corners go to pixels 0 and size-1).
    chip_points = (DLIB_CHIP_PADDING + DLIB_FIVE_POINT_CHIP) / (2 * DLIB_CHIP_PADDING + 1) * SIZE
    mapping = dlib_chip_mapping(chip_points, SIZE)
    scale = (SIZE - 1) / SIZE
    np.testing.assert_allclose(mapping, [[scale, 0, 0], [0, scale, 0]], atol=1e-9)
    # Twice as big and turned 30 degrees: the mapping undoes both.
    turn = np.radians(30)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    mapping = dlib_chip_mapping(chip_points @ rotation.T * 2 + 40, SIZE)
    np.testing.assert_allclose(mapping[:, :2], rotation.T * scale / 2, atol=1e-9)


def test_fit_gives_the_template_back_from_synthetic_photos() -> None:
    rng = np.random.default_rng(3)
    photos = [_synthetic_photo(rng) for _ in range(25)]
    blank = np.zeros((400, 400, 10))
    stray = _synthetic_photo(rng)
    stray[..., 5:] = np.roll(stray[..., 5:], 190, axis=1)  # the detector found someone else
    reference = lambda photo: _centroids(photo, range(5)) if photo[..., 0].sum() else None
    detector = lambda photo: _centroids(photo, range(5, 10))
    fit = fit_template(photos + [blank, stray], reference, detector, SIZE)
    assert (fit.photos_used, fit.photos_skipped) == (25, 2)
    np.testing.assert_allclose(fit.template, TRUE_TEMPLATE, atol=0.004)  # jitter only: < 0.6 px
    assert np.abs(_template("dlib-resnet-mtcnn-v1.json") - TRUE_TEMPLATE).max() > 0.03


@pytest.fixture(scope="module")
def recorded() -> list[tuple[Image.Image, np.ndarray]]:
    rows = json.loads(DLIB_PARTS.read_text())["photos"]
    return [(Image.open(DATA / row["photo"]).convert("RGB"), np.asarray(row["dlib_parts"])) for row in rows]


def test_serving_chips_sit_within_3px_of_dlib_chips(recorded) -> None:
    settings = Settings()
    assert settings.detector == "blazeface"  # the shipped detector, the one the template is fitted for
    detector = build_detector(settings, threads=2)
    offsets: dict[str, list[float]] = {"dlib-resnet-mtcnn-v1.json": [], settings.model_card.name: []}
    for image, parts in recorded:
        face = select_training_face(detector.detect(image), image.size)
        assert face is not None
        for card, found in offsets.items():
            found.append(chip_offset(parts, face.landmarks, _template(card), SIZE))
    new, old = (float(np.mean(v)) for v in (offsets[settings.model_card.name], offsets["dlib-resnet-mtcnn-v1.json"]))
    assert settings.model_card.name != "dlib-resnet-mtcnn-v1.json"
    assert new < 3.0, offsets
    assert old > 6.0, offsets  # the template fitted on dlib's chips instead of full photos


def test_chip_offset_is_pixels_of_the_chip(recorded) -> None:
    # Serving landmarks that are dlib's own chip geometry give offset 0; shifting the
    # template by 2 px of the chip gives 2 px.
    _, parts = recorded[0]
    landmarks = parts + HALF_PIXEL
    chip_points = apply(dlib_chip_mapping(parts, SIZE), parts) + HALF_PIXEL
    template = chip_points / SIZE
    assert chip_offset(parts, landmarks, template, SIZE) == pytest.approx(0, abs=1e-9)
    assert chip_offset(parts, landmarks, template + [2 / SIZE, 0], SIZE) == pytest.approx(2, abs=1e-6)
