"""How door decisions would change if another model's template set were put in force, measured
on the site's own enrolled photos.

Each photo kept under both models is a probe once per model: leave its template out, and ask
what the door would answer against the rest of that model's set at the model's recommended
threshold. Badge + face: is the nearest of the person's other templates within the threshold?
Face only: is the nearest template overall the person's, and within it (else, when it is
someone else's within it, a wrong person)? Flips are photos whose answer changes. People with
one photo cannot be probed this way and are counted apart. Door events' probe crops are aligned
chips of the old alignment, not loose crops, so they are not replayed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.gallery.index import ip_to_l2
from app.gallery.model_sets import coverage
from app.gallery.models import FaceTemplate

PROBE_CHUNK = 512  # probes scored against the whole set at once


@dataclass(frozen=True)
class TemplateSet:
    ids: np.ndarray
    persons: np.ndarray
    vectors: np.ndarray
    derived_from: list[int | None]

    @classmethod
    def of(cls, session: Session, model_id: str) -> "TemplateSet":
        rows = session.execute(select(FaceTemplate.id, FaceTemplate.person_id, FaceTemplate.vector,
                                      FaceTemplate.derived_from).where(FaceTemplate.model_id == model_id)
                               .order_by(FaceTemplate.id)).all()
        vectors = np.stack([np.frombuffer(r.vector, np.float32) for r in rows]) if rows else np.empty((0, 0))
        return cls(np.asarray([r.id for r in rows], np.int64), np.asarray([r.person_id for r in rows], np.int64),
                   vectors, [r.derived_from for r in rows])


@dataclass(frozen=True)
class Answers:
    badge: np.ndarray  # bool per probe: the person's other templates within the threshold
    face_only: np.ndarray  # bool: nearest template is the person's and within the threshold
    wrong_person: np.ndarray  # bool: nearest template is someone else's and within the threshold


def answers(templates: TemplateSet, probes: np.ndarray, threshold: float) -> Answers:
    """Leave-one-out answers for the templates at rows `probes` of `templates`."""
    badge, face_only, wrong = (np.zeros(len(probes), bool) for _ in range(3))
    for start in range(0, len(probes), PROBE_CHUNK):
        rows = probes[start:start + PROBE_CHUNK]
        distances = ip_to_l2(templates.vectors[rows] @ templates.vectors.T)
        distances[np.arange(len(rows)), rows] = np.inf  # itself left out
        own = templates.persons[None, :] == templates.persons[rows, None]
        nearest = distances.argmin(1)
        nearest_distance = distances[np.arange(len(rows)), nearest]
        within = nearest_distance <= threshold
        is_own = templates.persons[nearest] == templates.persons[rows]
        badge[start:start + len(rows)] = np.where(own, distances, np.inf).min(1) <= threshold
        face_only[start:start + len(rows)] = within & is_own
        wrong[start:start + len(rows)] = within & ~is_own
    return Answers(badge, face_only, wrong)


def _paired_rows(old: TemplateSet, new: TemplateSet) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the same photo in both sets (linked by derived_from, either way), for people with
    at least two templates in each set."""
    old_row = {int(t): i for i, t in enumerate(old.ids)}
    new_row = {int(t): i for i, t in enumerate(new.ids)}
    pairs = {}
    for j, source in enumerate(new.derived_from):
        if source in old_row:
            pairs[old_row[source]] = j
    for i, source in enumerate(old.derived_from):
        if source in new_row:
            pairs[i] = new_row[source]

    def probeable(s: TemplateSet) -> set[int]:
        people, counts = np.unique(s.persons, return_counts=True)
        return set(people[counts >= 2].tolist())

    both = probeable(old) & probeable(new)
    kept = sorted((i, j) for i, j in pairs.items() if int(old.persons[i]) in both)
    return np.asarray([i for i, _ in kept], np.int64), np.asarray([j for _, j in kept], np.int64)


def _changes(before: np.ndarray, after: np.ndarray) -> dict[str, int]:
    return {"admitted_before": int(before.sum()), "admitted_after": int(after.sum()),
            "flips_to_reject": int((before & ~after).sum()), "flips_to_admit": int((~before & after).sum())}


def upgrade_report(session: Session, old_model: str, old_threshold: float, new_model: str,
                   new_threshold: float) -> dict:
    old, new = TemplateSet.of(session, old_model), TemplateSet.of(session, new_model)
    gap = coverage(session, old_model, new_model)
    report = {"from": {"model_id": old_model, "threshold": old_threshold, "templates": len(old.ids)},
              "to": {"model_id": new_model, "threshold": new_threshold, "templates": len(new.ids)},
              "missing_templates": gap.missing_templates,
              "people_without_templates": gap.people_without_templates,
              "method": "leave-one-template-out on the enrolled photos kept under both models"}
    old_rows, new_rows = _paired_rows(old, new)
    report["probes"] = len(old_rows)
    report["people_probed"] = len(set(old.persons[old_rows].tolist()))
    report["people_not_probed"] = len(set(old.persons.tolist())) - report["people_probed"]
    if not len(old_rows):
        return report
    before, after = answers(old, old_rows, old_threshold), answers(new, new_rows, new_threshold)
    report["badge"] = _changes(before.badge, after.badge)
    report["face_only"] = {**_changes(before.face_only, after.face_only),
                           "wrong_person_before": int(before.wrong_person.sum()),
                           "wrong_person_after": int(after.wrong_person.sum())}
    return report
