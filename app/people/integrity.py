"""Enrolment a site can trust: one person per enrolment, one enrolment per person.

Consistency: the photos of one enrolment must agree with each other, and an added
face with the person's templates, within the card's same-person distance (genuine
pairs almost never lie beyond it); an outlier is refused per file, never stored.

Duplicates: a newcomer is searched against the whole gallery, so its threshold comes
from the card's held-out pair rate at the gallery's size (a distinct newcomer is
flagged with probability at most FACEGATE_DUPLICATE_RATE), not from a door's
threshold. It runs inside the write transaction, under the gallery's write lock, so
two simultaneous enrolments of one face cannot both pass.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from app.core.reasons import DUPLICATE_PERSON, INCONSISTENT_FACE, DomainError
from app.face.open_set import OpenSetCard
from app.gallery.index import Gallery, ip_to_l2
from app.people.models import Person
from app.people.schemas import FileRejection

CANDIDATES = 3  # people named in a duplicate refusal, nearest first


@dataclass(frozen=True)
class IdentityRules:
    card: OpenSetCard | None
    duplicate_rate: float  # chance a distinct newcomer is flagged, at the gallery's size
    same_person_max: float | None  # override of the card's same-person distance

    @property
    def consistency_threshold(self) -> float | None:
        if self.same_person_max is not None:
            return self.same_person_max
        return self.card.same_person_max if self.card else None

    def duplicate_threshold(self, gallery_templates: int, fallback: float) -> float:
        """Strict enough that a newcomer meets no stranger's template by chance, at this size."""
        if self.card is None:
            return fallback
        return min(fallback, self.card.threshold_for(self.duplicate_rate, gallery_templates))


def _resembles(session: Session, gallery: Gallery, vector: np.ndarray, threshold: float,
               exclude: int | None) -> dict | None:
    for match in gallery.nearest_people(vector, people=2):
        if match.person_id != exclude and match.distance <= threshold:
            person = session.get(Person, match.person_id)
            return {"id": match.person_id, "name": person.name if person else None,
                    "distance": round(match.distance, 4)}
    return None


def consistent_files(session: Session, rules: IdentityRules, gallery: Gallery, names: list[str],
                     vectors: np.ndarray, existing: np.ndarray, person_id: int | None,
                     search_threshold: float) -> tuple[list[int], list[FileRejection]]:
    """Indices of the files that agree (with the person's templates if any, else with the
    largest group of this enrolment's photos), and a rejection for each other file."""
    limit = rules.consistency_threshold
    if limit is None:
        return list(range(len(names))), []
    if len(existing):
        agrees = ip_to_l2(vectors @ existing.T).min(axis=1) <= limit
    elif len(vectors) > 1:
        close = ip_to_l2(vectors @ vectors.T) <= limit
        anchor = int(np.argmax(close.sum(axis=1)))
        agrees = close[anchor] if close[anchor].sum() > 1 else np.zeros(len(vectors), bool)
    else:
        agrees = np.ones(1, bool)
    rejected = []
    for i in np.flatnonzero(~agrees):
        other = _resembles(session, gallery, vectors[i], search_threshold, person_id)
        whom = f"; it resembles {other['name'] or other['id']}" if other else ""
        rejected.append(FileRejection(
            filename=names[i], reason=INCONSISTENT_FACE, resembles=other,
            message=f"this face does not look like the same person as the other photos (distance > {limit:.3f})"
                    f"{whom}; it was not stored"))
    return [int(i) for i in np.flatnonzero(agrees)], rejected


def check_duplicates(session: Session, rules: IdentityRules, gallery: Gallery, vectors: np.ndarray,
                     person_id: int | None, fallback: float) -> None:
    """Refuse faces that match someone else enrolled, naming the candidates (call under the write lock)."""
    threshold = rules.duplicate_threshold(len(gallery), fallback)
    candidates: dict[int, float] = {}
    for vector in vectors:
        for match in gallery.nearest_people(vector, people=CANDIDATES + 1):
            if match.person_id != person_id and match.distance <= threshold:
                candidates[match.person_id] = min(match.distance, candidates.get(match.person_id, 2.0))
    if not candidates:
        return
    nearest = sorted(candidates.items(), key=lambda c: c[1])[:CANDIDATES]
    with session.no_autoflush:  # the refused enrolment's pending rows must not be flushed to name others
        named = [{"id": p, "name": (person.name if (person := session.get(Person, p)) else None),
                  "distance": round(d, 4)} for p, d in nearest]
    first = named[0]
    raise DomainError(DUPLICATE_PERSON,
                      f"a face matches {first['name'] or first['id']} (distance {first['distance']:.3f} <= "
                      f"{threshold:.3f}); if these are different people send allow_duplicate=true",
                      candidates=named, person={"id": first["id"], "name": first["name"]},
                      distance=first["distance"], threshold=round(threshold, 4))
