"""Held-out figures with 95% intervals from bootstrapping over people.

Pairs of one person's photos are not independent, so intervals resample people, not
pairs: a replicate draws people with replacement and weighs every pair by how often its
two people were drawn (a genuine pair by its person's count, an impostor pair by the
product; a person never forms impostor pairs with its own copy). Several models scored on
the same photos share each replicate's draw, so their differences are paired.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIGURES = ("eer", "tar_at_far_1e-3", "tar_at_far_1e-4")


@dataclass(frozen=True)
class PairSet:
    """Every unordered pair of a photo set: the two people of each pair, and its order per model."""

    person_a: np.ndarray
    person_b: np.ndarray
    people: int
    orders: list[np.ndarray]  # per model, pair indices sorted by ascending distance


def pair_set(models: list[np.ndarray], identities: list[str]) -> PairSet:
    """models: per model the (N, D) unit embeddings of the same N photos."""
    labels = np.unique(np.asarray(identities), return_inverse=True)[1]
    a, b = np.triu_indices(len(labels), k=1)
    orders = []
    for embeddings in models:
        distance = np.sqrt(np.clip(2.0 - 2.0 * np.sum(embeddings[a] * embeddings[b], axis=1), 0.0, None))
        orders.append(np.argsort(distance, kind="stable"))
    return PairSet(labels[a], labels[b], int(labels.max()) + 1, orders)


def weighted_figures(genuine_w: np.ndarray, impostor_w: np.ndarray) -> dict[str, float]:
    """EER and TAR at FAR 1e-3 / 1e-4 from pair weights listed in ascending distance order."""
    tar = np.cumsum(genuine_w) / max(genuine_w.sum(), 1e-12)
    far = np.cumsum(impostor_w) / max(impostor_w.sum(), 1e-12)
    frr = 1.0 - tar
    i = int(np.argmin(np.abs(far - frr)))
    out = {"eer": float((far[i] + frr[i]) / 2)}
    for name, target in (("tar_at_far_1e-3", 1e-3), ("tar_at_far_1e-4", 1e-4)):
        ok = np.searchsorted(far, target, side="right") - 1  # last threshold with FAR <= target
        out[name] = float(tar[ok]) if ok >= 0 else 0.0
    return out


def _pair_weights(pairs: PairSet, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    same = pairs.person_a == pairs.person_b
    genuine = np.where(same, counts[pairs.person_a], 0.0)
    impostor = np.where(same, 0.0, counts[pairs.person_a] * counts[pairs.person_b])
    return genuine, impostor


def bootstrap_pairs(pairs: PairSet, replicates: int = 200, seed: int = 0) -> tuple[list[dict], np.ndarray]:
    """Point figures per model and an array (replicates, models, figures) of resampled ones."""
    point_g, point_i = _pair_weights(pairs, np.ones(pairs.people))
    points = [weighted_figures(point_g[o], point_i[o]) for o in pairs.orders]
    rng = np.random.default_rng(seed)
    draws = np.empty((replicates, len(pairs.orders), len(FIGURES)))
    for r in range(replicates):
        counts = np.bincount(rng.integers(0, pairs.people, pairs.people), minlength=pairs.people).astype(np.float64)
        g, i = _pair_weights(pairs, counts)
        for m, order in enumerate(pairs.orders):
            figures = weighted_figures(g[order], i[order])
            draws[r, m] = [figures[f] for f in FIGURES]
    return points, draws


def open_set_distances(embeddings: np.ndarray, identities: list[str], enrol: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Each person enrolled with up to `enrol` photos (all but their last), probed with the last:
    (distance to own templates, distance to the nearest other person) per person."""
    rows: dict[str, list[int]] = {}
    for i, identity in enumerate(identities):
        rows.setdefault(identity, []).append(i)
    people = [r for _, r in sorted(rows.items()) if len(r) >= 2]
    probes = embeddings[[r[-1] for r in people]]
    template_rows = [r[:-1][:enrol] for r in people]
    owner = np.concatenate([[p] * len(r) for p, r in enumerate(template_rows)])
    templates = embeddings[np.concatenate(template_rows)]
    distance = np.sqrt(np.clip(2.0 - 2.0 * probes @ templates.T, 0.0, None))
    per_person = np.full((len(people), len(people)), np.inf)
    for p in range(len(people)):
        per_person[:, p] = distance[:, owner == p].min(axis=1)
    own = np.diag(per_person).copy()
    np.fill_diagonal(per_person, np.inf)
    return own, per_person.min(axis=1)


def frr_at_fpir(own: np.ndarray, nearest_other: np.ndarray, weights: np.ndarray, fpir: float = 0.01) -> float:
    """FRR at the largest threshold whose FPIR (strangers within it of someone) is <= fpir."""
    order = np.argsort(nearest_other, kind="stable")
    cum = np.cumsum(weights[order]) / weights.sum()
    k = int(np.searchsorted(cum, fpir, side="right"))  # the k nearest strangers fit within fpir
    threshold = nearest_other[order[k]] if k < len(order) else np.inf  # admit strictly below it
    return float(np.sum(weights * (own >= threshold)) / weights.sum())


def bootstrap_open_set(models: list[tuple[np.ndarray, np.ndarray]], replicates: int = 200,
                       seed: int = 0) -> tuple[list[float], np.ndarray]:
    """Point FRR at FPIR 1% per model and (replicates, models) resampled over probe people."""
    people = len(models[0][0])
    ones = np.ones(people)
    points = [frr_at_fpir(own, other, ones) for own, other in models]
    rng = np.random.default_rng(seed)
    draws = np.empty((replicates, len(models)))
    for r in range(replicates):
        counts = np.bincount(rng.integers(0, people, people), minlength=people).astype(np.float64)
        draws[r] = [frr_at_fpir(own, other, counts) for own, other in models]
    return points, draws


def interval(values: np.ndarray) -> tuple[float, float]:
    """The central 95% of bootstrap replicates."""
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)
