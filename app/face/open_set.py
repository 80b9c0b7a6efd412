"""What the model card knows about searching a gallery, measured on people never enrolled.

A face-only door, a duplicate check and an enrolment-consistency check all ask one
question of the model, not of the site's gallery (which the duplicate check filters):
how often does a stranger fall within a distance of at least one of N templates? The
card's `open_set` section holds the held-out person-level rate FMR(t) (a stranger's
photo within t of at least one of a person's k templates) with its upper
bootstrap-by-person bound, and a strict same-person distance (pair FMR 1e-3). A search
of a gallery of T templates counts as N = T / k such people, FPIR(t, N) ~ 1 - (1 - FMR(t))^N.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class OpenSetCard:
    thresholds: np.ndarray  # ascending distances
    fmr_upper: np.ndarray  # held-out person-level FMR at each threshold, upper bootstrap-by-person bound
    fmr: np.ndarray  # the same, measured (the centre of the interval the bound tops)
    same_person_max: float  # photos farther apart are not accepted as one person
    source: str
    templates_per_person: int = 3
    frame_offset: float = 0.0  # a probe fused from several frames: the threshold is this much stricter

    @classmethod
    def from_card(cls, card: dict[str, Any]) -> "OpenSetCard | None":
        section = card.get("open_set")
        if not section:
            return None
        rates = section["person_fmr"]
        return cls(np.asarray(rates["thresholds"], float), np.asarray(rates["fmr_upper"], float),
                   np.asarray(rates["fmr"], float), float(section["same_person_max"]), str(section.get("source", "")),
                   int(rates["templates_per_person"]), float(section.get("frame_offset", 0.0)))

    def people(self, templates: int) -> int:
        return max(1, -(-templates // self.templates_per_person))

    def fmr_at(self, threshold: float) -> float:
        return float(np.interp(threshold, self.thresholds, self.fmr_upper))

    def search_rate(self, threshold: float, templates: int) -> float:
        """Bound on the chance that a stranger is within `threshold` of someone in a gallery of `templates`."""
        return search_bound(self.fmr_at(threshold), self.people(templates))

    def search_interval(self, threshold: float, templates: int) -> list[float]:
        """[measured, upper bound] of the stranger rate at this gallery size: the held-out rate and the
        97.5th percentile of its person bootstrap, both through FPIR ~ 1 - (1 - FMR)^N."""
        measured = float(np.interp(threshold, self.thresholds, self.fmr))
        return [float(search_bound(measured, self.people(templates))), self.search_rate(threshold, templates)]

    def threshold_for(self, rate: float, templates: int) -> float:
        """The largest tabulated threshold whose search bound at this gallery size stays within rate."""
        bounds = search_bound(self.fmr_upper, self.people(templates))
        ok = np.flatnonzero(bounds <= rate)
        return float(self.thresholds[ok[-1]]) if len(ok) else float(self.thresholds[0])


def search_bound(fmr: float | np.ndarray, n: int) -> float | np.ndarray:
    """FPIR ~ 1 - (1 - FMR)^N for a search of N independent comparisons."""
    return 1.0 - (1.0 - np.asarray(fmr, float)) ** max(n, 1)
