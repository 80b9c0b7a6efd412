"""Training and evaluation end to end on a few real identities (kept small so CI stays fast)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.cli import main
from app.face.encoder import Encoder
from app.training.data import is_validation_identity, list_photos, split_photos
from tests.helpers import LFW, photos


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A person-folder data set of 14 real people (6 photos each), linked, not copied."""
    root = tmp_path_factory.mktemp("data") / "lfw-dev"
    people = [p.name for p in sorted(LFW.iterdir()) if len(photos(p.name)) >= 6][:14]
    for person in people:
        (root / person).mkdir(parents=True)
        for path in photos(person)[:6]:
            (root / person / path.name).symlink_to(path)
    return root


def test_split_is_identity_disjoint_and_stable(small_data: Path) -> None:
    train, val = split_photos(list_photos(small_data))
    assert {p.identity for p in train}.isdisjoint({p.identity for p in val})
    assert all(is_validation_identity(p.identity) for p in val)
    again_train, _ = split_photos(list(reversed(list_photos(small_data))))
    assert {p.identity for p in again_train} == {p.identity for p in train}


def test_one_epoch_fine_tune_writes_a_model_that_evaluate_loads(small_data: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    config = tmp_path / "train.json"  # a config file, with flags overriding it
    config.write_text(json.dumps({"epochs": 5, "photos_per_epoch": 32, "people_per_batch": 4,
                                  "photos_per_person": 4, "miner": "batch_hard", "seed": 3}))
    main(["train", "--data", str(small_data), "--chips", str(tmp_path / "chips"), "--out", str(run),
          "--config", str(config), "--epochs", "1", "--miner", "semihard", "--model-id", "tiny-ft"])
    card = json.loads((run / "tiny-ft.json").read_text())
    assert card["training"]["miner"] == "semihard" and card["training"]["epochs"] == 1
    assert card["training"]["seed"] == 3 and card["training"]["people_per_batch"] == 4
    assert [row["epoch"] for row in card["history"]] == [0, 1]
    assert 0.0 <= card["history"][1]["active_triplets"] <= 1.0
    assert Encoder.load(run / "tiny-ft.json").model_id == "tiny-ft"
    # Resume: asking for a second epoch continues from the checkpoint instead of starting over.
    main(["train", "--data", str(small_data), "--chips", str(tmp_path / "chips"), "--out", str(run),
          "--epochs", "2", "--photos-per-epoch", "32", "--people-per-batch", "4", "--photos-per-person", "4",
          "--miner", "semihard", "--model-id", "tiny-ft"])
    history = json.loads((run / "history.json").read_text())
    assert [row["epoch"] for row in history] == [0, 1, 2]

    out = tmp_path / "eval" / "report.json"
    main(["evaluate", "--data", str(small_data), "--model", str(run / "tiny-ft.json"), "--json", str(out),
          "--chips", str(tmp_path / "chips")])
    report = json.loads(out.read_text())
    for key in ("pairs", "genuine", "impostor", "failures", "auc", "eer", "tar_at_far_1e-2", "tar_at_far_1e-3",
                "tar_at_far_1e-4", "threshold_at_far_1e-3", "accuracy_best", "threshold_best"):
        assert key in report
    assert report["genuine"] > 0 and report["impostor"] > report["genuine"]
    assert report["auc"] > 0.9  # a short fine-tune keeps the pretrained network useful
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_evaluate_with_a_pairs_csv(small_data: Path, tmp_path: Path) -> None:
    people = sorted(p.name for p in small_data.iterdir())[:3]
    pairs = tmp_path / "pairs.csv"
    with open(pairs, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "same"])
        for person in people:
            files = sorted((small_data / person).iterdir())
            writer.writerow([f"{person}/{files[0].name}", f"{person}/{files[1].name}", 1])
        for a, b in zip(people, people[1:]):
            writer.writerow([f"{a}/{sorted((small_data / a).iterdir())[2].name}",
                             f"{b}/{sorted((small_data / b).iterdir())[2].name}", 0])
    out = tmp_path / "pairs.json"
    main(["evaluate", "--data", str(small_data), "--pairs", str(pairs), "--json", str(out)])
    report = json.loads(out.read_text())
    assert report["genuine"] <= 3 and report["impostor"] <= 2
    assert report["genuine"] >= 2 and report["impostor"] >= 1
    assert report["genuine_mean"] < report["impostor_mean"]


def test_inception_from_scratch_trains_and_downloads_fail_fast(small_data: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "inception"
    main(["train", "--architecture", "inception_resnet_v1", "--data", str(small_data), "--chips",
          str(tmp_path / "chips"), "--out", str(run), "--epochs", "1", "--photos-per-epoch", "16",
          "--people-per-batch", "4", "--photos-per-person", "4", "--model-id", "inception-tiny",
          "--learning-rate", "0.01"])
    encoder = Encoder.load(run / "inception-tiny.json")
    assert encoder.dim == 512 and encoder.alignment.size == 160
    assert (tmp_path / "chips" / "lfw-dev-160" / "chips.json").is_file()  # chips per geometry
    # An unreachable network (as on these machines) must fail at once with a clear error.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    from app.face.networks import PretrainedWeightsUnavailable, build_network

    with pytest.raises(PretrainedWeightsUnavailable, match="could not be downloaded"):
        build_network("inception_resnet_v1", "vggface2")
