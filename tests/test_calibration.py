"""Calibration's scores and thresholds on synthetic galleries, checked against the full distance matrix."""
from __future__ import annotations

import numpy as np

from app.admin.calibration import CalibrationData, calibrate, score_sets


def clustered_gallery(people: int, per_person: int, seed: int = 0) -> CalibrationData:
    """Unit vectors scattered around one centre per person (shuffled, as a gallery is)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(people, 32))
    vectors = np.repeat(centres, per_person, axis=0) + 0.6 * rng.normal(size=(people * per_person, 32))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    order = rng.permutation(people * per_person)
    return CalibrationData(np.repeat(np.arange(people), per_person)[order], vectors.astype(np.float32)[order],
                           np.empty(0), np.empty(0))


def test_scores_are_every_pair_and_every_nearest_neighbour() -> None:
    data = clustered_gallery(30, 4)
    persons, vectors = data.person_ids, data.vectors.astype(np.float64)
    dist = np.sqrt(np.clip(2 - 2 * vectors @ vectors.T, 0, None))
    same, upper = persons[:, None] == persons[None, :], np.triu(np.ones_like(dist, dtype=bool), k=1)
    scores = score_sets(data)
    assert np.allclose(np.sort(scores["pair_genuine"]), np.sort(dist[same & upper]), atol=1e-5)
    assert np.allclose(np.sort(scores["pair_impostor"]), np.sort(dist[~same & upper]), atol=1e-5)
    np.fill_diagonal(dist, np.inf)
    assert np.allclose(scores["door_genuine"], np.where(same, dist, np.inf).min(axis=1), atol=1e-5)
    assert np.allclose(scores["door_impostor"], np.where(same, np.inf, dist).min(axis=1), atol=1e-5)
    assert not scores["pairs_sampled"] and not scores["probes_sampled"]


def test_large_galleries_are_sampled_with_the_same_distribution() -> None:
    data = clustered_gallery(300, 3)
    exact = score_sets(data)
    sampled = score_sets(data, max_impostor_pairs=20_000, max_door_probes=150)
    assert sampled["pairs_sampled"] and sampled["probes_sampled"]
    assert 19_000 < len(sampled["pair_impostor"]) <= 20_000 and len(sampled["door_impostor"]) == 150
    assert np.allclose(np.sort(sampled["pair_genuine"]), np.sort(exact["pair_genuine"]), atol=1e-5)
    for level, tolerance in (("pair_impostor", 0.01), ("door_impostor", 0.03)):
        quantiles = (0.05, 0.5, 0.95)
        assert np.abs(np.quantile(sampled[level], quantiles) - np.quantile(exact[level], quantiles)).max() < tolerance


def test_door_rate_is_stricter_than_pair_rate() -> None:
    data = clustered_gallery(40, 3)
    door = calibrate(data, 0.05, face_only=True)
    pair = calibrate(data, 0.05, face_only=False)
    assert door["threshold"] < pair["threshold"]  # a stranger meets everyone at a face-only door
    assert door["door_fpir_measured"] <= 0.05 and pair["pair_far"] <= 0.05


def test_frr_interval_resamples_people_and_contains_the_estimate() -> None:
    from app.admin.calibration import frr_interval

    rng = np.random.default_rng(3)
    persons = np.repeat(np.arange(40), 3)
    genuine = rng.uniform(0.1, 0.5, len(persons))
    low, high = frr_interval(genuine, persons, 0.3)
    assert 0.0 <= low < np.mean(genuine > 0.3) < high <= 1.0
    # One person whose scores all lie beyond the threshold widens it less than 40 independent ones.
    lone = np.r_[np.full(3, 0.9), np.full(117, 0.1)]
    assert frr_interval(lone, persons, 0.3)[1] > 0.05 and frr_interval(lone, persons, 0.3)[0] == 0.0
