"""The pieces of the loss comparison: three-way split, person bootstrap, losses, head fine-tune."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from app.face.dlib_resnet import DlibResNet
from app.training.bootstrap import _pair_weights, frr_at_fpir, open_set_distances, pair_set, weighted_figures
from app.training.data import identity_split, is_validation_identity
from app.training.features import Head, compute_features, continue_features, embed_features
from app.training.head_train import FeatureSet, HeadConfig, head_state, save_run, train_head
from app.training.losses import LOSSES, MetricObjective, SoftmaxCenterLoss
from app.training.metrics import summarize


def test_three_way_split_is_stable_and_report_is_the_validation_side() -> None:
    people = [f"lfw-dev/person_{i}" for i in range(3000)]
    sides = [identity_split(p) for p in people]
    assert sides == [identity_split(p) for p in people]
    assert all((s == "report") == is_validation_identity(p) for p, s in zip(people, sides))
    share = {s: sides.count(s) / len(sides) for s in ("train", "select", "report")}
    assert abs(share["report"] - 0.2) < 0.03 and abs(share["select"] - 0.1) < 0.03


def _clusters(people: int, photos: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 16))
    x = np.repeat(centres, photos, axis=0) + 0.6 * rng.normal(size=(people * photos, 16))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), [f"d/p{i}" for i in range(people) for _ in range(photos)]


def test_unit_weights_give_the_figures_of_summarize() -> None:
    x, ids = _clusters(60, 4)
    pairs = pair_set([x], ids)
    g, i = _pair_weights(pairs, np.ones(pairs.people))
    order = pairs.orders[0]
    ours = weighted_figures(g[order], i[order])
    d = np.sqrt(np.clip(2 - 2 * np.sum(x[np.triu_indices(len(x), 1)[0]] * x[np.triu_indices(len(x), 1)[1]], 1), 0, None))
    same = pairs.person_a == pairs.person_b
    theirs = summarize(d[same], d[~same])
    assert ours["eer"] == pytest.approx(theirs["eer"], abs=2e-3)
    assert ours["tar_at_far_1e-3"] == pytest.approx(theirs["tar_at_far_1e-3"], abs=1e-9)


def test_a_person_drawn_zero_times_leaves_no_pairs_behind() -> None:
    x, ids = _clusters(30, 3, seed=1)
    pairs = pair_set([x], ids)
    counts = np.ones(pairs.people)
    counts[0] = 0
    g, i = _pair_weights(pairs, counts)
    order = pairs.orders[0]
    without = pair_set([x[3:]], ids[3:])
    g2, i2 = _pair_weights(without, np.ones(without.people))
    assert weighted_figures(g[order], i[order]) == pytest.approx(
        weighted_figures(g2[without.orders[0]], i2[without.orders[0]]))
    counts[1] = 2  # a person drawn twice counts its genuine pairs twice, its impostor pairs twice
    g, i = _pair_weights(pairs, counts)
    assert g.sum() == 3 * 28 + 2 * 3 and i.sum() == pytest.approx(9 * (2 * 28 + 28 * 27 / 2))


def test_open_set_frr_at_fpir() -> None:
    # 3 people, 3 photos each; probe = the last photo
    x = np.eye(4, dtype=np.float32)[[0, 0, 0, 1, 1, 1, 2, 2, 3]]
    own, other = open_set_distances(x, ["a"] * 3 + ["b"] * 3 + ["c"] * 3)
    assert own.tolist() == [0.0, 0.0, pytest.approx(np.sqrt(2))]
    assert np.allclose(other, np.sqrt(2))
    weights = np.ones(3)
    assert frr_at_fpir(own, other, weights, 0.01) == pytest.approx(1 / 3)  # c's probe is never admitted
    assert frr_at_fpir(own, other, np.array([1.0, 0.0, 0.0]), 0.01) == 0.0


def test_center_loss_term_and_softmax() -> None:
    loss = SoftmaxCenterLoss(num_classes=3, dim=4, weight=0.5)
    x = torch.nn.functional.normalize(torch.randn(6, 4), dim=1)
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    expected = 0.5 * ((x - loss.centres.detach()[y]) ** 2).sum(dim=1).mean()
    assert loss.centre_term(x, y).item() == pytest.approx(expected.item(), rel=1e-6)
    softmax = torch.nn.functional.cross_entropy(loss.classifier(16 * x), y)
    assert loss(x, y).item() == pytest.approx(softmax.item() + 0.5 * expected.item(), rel=1e-5)
    # a step on the centres alone pulls them towards their class's embeddings
    centres = torch.optim.SGD([loss.centres], lr=1.0)
    before = loss.centre_term(x, y).item()
    loss.centre_term(x, y).backward()
    centres.step()
    assert loss.centre_term(x, y).item() < before


def test_every_loss_and_miner_trains_the_head() -> None:
    network = DlibResNet()
    head = Head(network)
    features = torch.randn(32, 256, 4, 4).relu()
    labels = torch.arange(8).repeat_interleave(4)
    for loss, miners in LOSSES.items():
        for miner in miners:
            network.zero_grad()
            objective = MetricObjective(loss, miner, torch.randn(8, 128))
            value = objective(torch.nn.functional.normalize(head(features), dim=1), labels)
            value.backward()
            assert torch.isfinite(value) and network.fc.weight.grad is not None, (loss, miner)
            assert network.blocks[0].conv1.weight.grad is None  # the trunk stays frozen
    with pytest.raises(ValueError):
        MetricObjective("triplet", "none", torch.randn(8, 128))
    with pytest.raises(ValueError):
        MetricObjective("lifted", "none", torch.randn(8, 128))


def test_head_on_cached_features_is_the_network(tmp_path) -> None:  # noqa: ANN001
    torch.manual_seed(0)
    network = DlibResNet().eval()
    chips = np.random.default_rng(0).integers(0, 255, (3, 150, 150, 3), dtype=np.uint8)
    early = compute_features(network, chips, 10)
    assert early.shape == (3, 2, 128, 8, 8) and early.dtype == np.float16
    features = continue_features(network, early, 10, 13)
    assert features.shape == (3, 2, 256, 4, 4)
    with torch.inference_mode():
        x = torch.from_numpy(chips).permute(0, 3, 1, 2).float()
        direct = torch.nn.functional.normalize(network(x) + network(x.flip(3)), dim=1).numpy()
    assert np.abs(embed_features(Head(network), features) - direct).max() < 2e-2  # fp16 cache

    train = FeatureSet(np.random.default_rng(1).normal(size=(32, 2, 256, 4, 4)).astype(np.float16).clip(0),
                       [f"d/p{i // 4}" for i in range(32)])
    select = {"x": FeatureSet(train.features[:16], train.identities[:16])}
    config = HeadConfig(loss="triplet", miner="batch_hard", epochs=2, photos_per_epoch=32,
                        people_per_batch=4, photos_per_person=4)
    state, history = train_head(network, train, select, config, log=False)
    assert [r["epoch"] for r in history[:-1]] == [0, 1, 2] and history[-1]["best_epoch"] in (0, 1, 2)
    save_run(tmp_path, config, state, history, "base")
    saved = torch.load(tmp_path / "head.pt", weights_only=True)
    assert set(saved) == set(head_state(state)) and "stem_conv.weight" not in saved and "fc.weight" in saved
