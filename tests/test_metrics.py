"""Verification metrics on synthetic scores whose answers are known."""
from __future__ import annotations

import numpy as np
import pytest

from app.training.metrics import all_pair_distances, error_curve, summarize, threshold_at_far


def test_perfect_separation() -> None:
    genuine = np.linspace(0.1, 0.4, 100)
    impostor = np.linspace(0.6, 1.2, 10_000)
    report = summarize(genuine, impostor)
    assert report["auc"] == 1.0
    assert report["eer"] == 0.0
    assert report["tar_at_far_1e-3"] == 1.0
    assert report["threshold_at_far_1e-3"] >= 0.4 and report["far_at_threshold_1e-3"] <= 1e-3
    assert report["accuracy_best"] == 1.0


def test_known_overlap() -> None:
    # Genuine uniform on 0..1, impostor uniform on 0.5..1.5 (1000 points each, evenly spaced).
    genuine = (np.arange(1000) + 0.5) / 1000
    impostor = 0.5 + (np.arange(1000) + 0.5) / 1000
    report = summarize(genuine, impostor)
    # FAR(t) = t - 0.5, FRR(t) = 1 - t on the overlap: they cross at t = 0.75, EER = 0.25.
    assert report["eer"] == pytest.approx(0.25, abs=2e-3)
    assert report["threshold_at_eer"] == pytest.approx(0.75, abs=2e-3)
    # FAR <= 1e-3 allows one impostor (t just below 0.5015): TAR = fraction of genuine <= t.
    assert report["far_at_threshold_1e-3"] <= 1e-3
    assert report["tar_at_far_1e-3"] == pytest.approx(0.5015, abs=2e-3)
    # FAR <= 1e-4 admits no impostor of 1000 (t below 0.5005).
    assert report["tar_at_far_1e-4"] == pytest.approx(0.5005, abs=2e-3)
    assert report["auc"] == pytest.approx(1 - 0.125, abs=2e-3)  # overlap triangle area 0.5 * 0.5 * 0.5


def test_threshold_at_far_never_exceeds_target() -> None:
    rng = np.random.default_rng(1)
    genuine, impostor = rng.normal(0.4, 0.1, 2000), rng.normal(0.9, 0.1, 50_000)
    curve = error_curve(genuine, impostor)
    for target in (1e-1, 1e-2, 1e-3, 1e-4):
        threshold, far, _ = threshold_at_far(curve, target)
        assert np.mean(impostor <= threshold) == pytest.approx(far)
        assert far <= target


def test_all_pairs_counts_and_labels() -> None:
    vectors = np.eye(4, dtype=np.float32)[[0, 0, 1, 2]]
    genuine, impostor = all_pair_distances(vectors, ["a", "a", "b", "c"])
    assert len(genuine) == 1 and len(impostor) == 5
    assert genuine[0] == pytest.approx(0.0)
    np.testing.assert_allclose(impostor, np.sqrt(2.0), atol=1e-6)
