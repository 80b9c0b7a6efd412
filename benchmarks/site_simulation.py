"""A site from the cache: enrol people by the service's rules, calibrate for 1e-3, then open the door.

    .venv/bin/python -m benchmarks.dev_embeddings   # once: the cache under var/
    .venv/bin/python -m benchmarks.site_simulation [--people 300] [--target 0.001]

Report-half people only (benchmarks/dev_embeddings.fitting_half; the card's open_set
section was fitted on the other half). Up to --people of them are enrolled with 3
photos each through the service's own checks (app/people/integrity.py: consistency,
then the duplicate check at its threshold for the gallery's size, on the cached
vectors); the face-only door is calibrated with app/admin/calibration.calibrate for
the target and the card; then each enrolled person's 4th photo comes to the door, and
one photo of every report-half person never enrolled plays a stranger. Prints
enrolment refusals, the calibration's answer, stranger FAR, FRR and wrong-person admits.
The photos' analysis is the cached one (the same door pipeline); HTTP is not in the loop.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from app.admin.calibration import CalibrationData, calibrate
from app.core.settings import Settings
from app.face.open_set import OpenSetCard
from app.gallery.index import ip_to_l2
from benchmarks.dev_embeddings import load_cache
from benchmarks.open_set import people_of


def enrol(people: list[np.ndarray], card: OpenSetCard, rate: float, pair_threshold: float,
          wanted: int) -> tuple[list[int], dict[str, int]]:
    """Indices enrolled, and refusals by reason, applying the service's rules in order."""
    enrolled: list[int] = []
    templates = np.empty((0, people[0].shape[1]), np.float32)
    refused = {"duplicate_person": 0, "inconsistent_face": 0}
    for i, person in enumerate(people[:wanted]):
        photos = person[:3]
        close = ip_to_l2(photos @ photos.T) <= card.same_person_max
        if close.sum(axis=1).max() < 3:
            refused["inconsistent_face"] += 1  # at least one photo would be refused
        duplicate = min(pair_threshold, card.threshold_for(rate, len(templates)))
        if len(templates) and ip_to_l2(photos @ templates.T).min() <= duplicate:
            refused["duplicate_person"] += 1
            continue
        enrolled.append(i)
        templates = np.vstack([templates, photos])
    return enrolled, refused


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--target", type=float, default=1e-3)
    args = parser.parse_args()
    settings = Settings()
    card_json = json.loads(settings.model_card.read_text())
    card = OpenSetCard.from_card(card_json)
    if card is None:
        raise SystemExit("the model card has no open_set section: run tools/fit_open_set.py")
    people = people_of(load_cache(), fitting=False)
    wanted = min(args.people, int(len(people) * 0.7))
    enrolled, refused = enrol(people, card, settings.duplicate_rate, card_json["recommended_threshold"], wanted)
    persons = np.repeat(np.arange(len(enrolled)), 3)
    vectors = np.concatenate([people[i][:3] for i in enrolled])
    result = calibrate(CalibrationData(persons, vectors, np.empty(0), np.empty(0)), args.target, True, card)
    threshold = result["threshold"]
    gallery = vectors.reshape(len(enrolled), 3, -1)
    genuine = ip_to_l2(np.einsum("pd,gkd->pgk", np.stack([people[i][3] for i in enrolled]), gallery)).min(axis=2)
    nearest = genuine.argmin(axis=1)
    admitted = genuine.min(axis=1) <= threshold
    strangers = [p[0] for i, p in enumerate(people) if i >= wanted]
    stranger = ip_to_l2(np.einsum("pd,gkd->pgk", np.stack(strangers), gallery)).min(axis=(1, 2))
    print(json.dumps({
        "asked": wanted, "enrolled": len(enrolled), "refused": refused,
        "calibration": {k: result[k] for k in ("threshold", "basis", "estimated_far", "estimated_frr",
                                               "resolvable", "estimates")},
        "strangers": len(strangers), "stranger_far": round(float(np.mean(stranger <= threshold)), 4),
        "frr": round(float(np.mean(~(admitted & (nearest == np.arange(len(enrolled)))))), 4),
        "wrong_person": round(float(np.mean(admitted & (nearest != np.arange(len(enrolled))))), 4)}, indent=1))


if __name__ == "__main__":
    main()
