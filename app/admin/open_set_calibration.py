"""Face-only calibration that a filtered gallery cannot fool.

The gallery is what enrolment let in: the duplicate check keeps its people apart, so
leave-one-person-out search of it under-counts how close real strangers come. Here
the gallery supplies genuine scores only (FRR), and the stranger rate comes from
estimates that enrolment does not filter:

- card: the model card's held-out person-level rate (upper bootstrap-by-person bound)
  put through FPIR ~ 1 - (1 - FMR)^N for the gallery's N people (templates / k);
- site_pairs: the same bound from the site's own impostor pairs, applicable only when
  there are enough pairs to resolve FMR = target / N;
- labelled_impostors: the site's door events labelled impostor (real strangers'
  nearest distances), applicable once there are 3 / target of them (rule of three).

The recommendation is the strictest threshold every applicable estimate supports;
when none can resolve the target, the answer says so and returns the card's bound
(or, without a card, the strictest the site data allows).
"""
from __future__ import annotations

import numpy as np

from app.face.open_set import OpenSetCard, search_bound

GRID = np.round(np.arange(0.15, 0.60001, 0.0025), 5)


def _rate(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    ordered = np.sort(scores)
    return np.searchsorted(ordered, thresholds, side="right") / max(len(ordered), 1)


def _largest_within(rates: np.ndarray, target: float) -> float:
    ok = np.flatnonzero(rates <= target)
    return float(GRID[ok[-1]]) if len(ok) else float(GRID[0])


def face_only_estimates(card: OpenSetCard | None, templates: int, pair_impostor: np.ndarray,
                        labelled_impostor: np.ndarray, target: float) -> dict[str, dict]:
    """Each estimate's FPIR along GRID, whether it can resolve the target, and the threshold it supports."""
    estimates = {}
    if card is not None:
        rates = search_bound(np.interp(GRID, card.thresholds, card.fmr_upper), card.people(templates))
        estimates["card"] = {"rates": rates, "applicable": True, "count": None}
    if len(pair_impostor):
        # A search of N templates at FPIR target needs FMR resolved to target / N.
        resolvable = templates / len(pair_impostor) <= target
        rates = search_bound(_rate(pair_impostor, GRID), templates)
        estimates["site_pairs"] = {"rates": rates, "applicable": resolvable, "count": int(len(pair_impostor))}
    if len(labelled_impostor):
        estimates["labelled_impostors"] = {"rates": _rate(labelled_impostor, GRID),
                                           "applicable": len(labelled_impostor) >= 3 / target,
                                           "count": int(len(labelled_impostor))}
    for estimate in estimates.values():
        estimate["threshold"] = _largest_within(estimate["rates"], target)
    return estimates


def recommend(estimates: dict[str, dict], target: float) -> tuple[float, bool]:
    """The strictest threshold of the applicable estimates, and whether any could resolve the target."""
    applicable = [e["threshold"] for e in estimates.values() if e["applicable"]]
    if applicable:
        return min(applicable), True
    return (min(e["threshold"] for e in estimates.values()) if estimates else float(GRID[0])), False


def rate_at(estimate: dict, threshold: float) -> float:
    return float(np.interp(threshold, GRID, estimate["rates"]))


def face_only_curve(estimates: dict[str, dict], door_genuine: np.ndarray, step: int = 2) -> list[dict]:
    """FPIR (the worst applicable estimate, else the worst of all) and FRR along the grid."""
    chosen = [e for e in estimates.values() if e["applicable"]] or list(estimates.values())
    far = np.max([e["rates"] for e in chosen], axis=0) if chosen else np.zeros(len(GRID))
    frr = 1.0 - _rate(door_genuine, GRID)
    return [{"threshold": float(GRID[i]), "far": float(far[i]), "frr": float(frr[i])}
            for i in range(0, len(GRID), step)]
