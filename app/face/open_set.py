"""What the model card knows about searching a gallery, measured on people never enrolled.

A face-only door, a duplicate check and an enrolment-consistency check all ask one
question of the model, not of the site's gallery (which the duplicate check filters):
how often does a stranger fall within a distance of at least one of N templates? The
card's `open_set` section holds the held-out pair rate FMR(t) with its upper
bootstrap-by-person bound, and the genuine distance that same-person pairs almost
never exceed. The search rate is bounded by FPIR(t, N) <= 1 - (1 - FMR(t))^N (N
templates), which is conservative because a stranger's distances to one person's
templates are correlated.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class OpenSetCard:
    thresholds: np.ndarray  # ascending distances
    fmr_upper: np.ndarray  # held-out pair FMR at each threshold, upper bootstrap-by-person bound
    same_person_max: float  # genuine pairs beyond this distance are (almost) never the same person
    source: str

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> "OpenSetCard | None":
        section = card.get("open_set")
        if not section:
            return None
        pair = section["pair_fmr"]
        return cls(np.asarray(pair["thresholds"], float), np.asarray(pair["fmr_upper"], float),
                   float(section["same_person_max"]), str(section.get("source", "")))

    def fmr_at(self, threshold: float) -> float:
        return float(np.interp(threshold, self.thresholds, self.fmr_upper))

    def search_rate(self, threshold: float, templates: int) -> float:
        """Bound on the chance that a stranger is within `threshold` of one of `templates`."""
        return search_bound(self.fmr_at(threshold), templates)

    def threshold_for(self, rate: float, templates: int) -> float:
        """The largest tabulated threshold whose search bound at this gallery size stays within rate."""
        bounds = 1.0 - (1.0 - self.fmr_upper) ** max(templates, 1)
        ok = np.flatnonzero(bounds <= rate)
        return float(self.thresholds[ok[-1]]) if len(ok) else float(self.thresholds[0])


def search_bound(fmr: float | np.ndarray, templates: int) -> float | np.ndarray:
    """FPIR <= 1 - (1 - FMR)^N for a search of N templates."""
    return 1.0 - (1.0 - np.asarray(fmr, float)) ** max(templates, 1)
