"""A site from the cache: enrol people by the service's rules, calibrate for 1e-3, then open the door.

    .venv/bin/python -m benchmarks.dev_embeddings   # once: the cache under var/
    .venv/bin/python -m benchmarks.site_simulation [--people 200] [--target 0.001 0.01]

Report-half people only (benchmarks/dev_embeddings.fitting_half; the card's open_set
section was fitted on the other half). Up to --people of them are enrolled with 3
photos each through the service's own checks (app/people/integrity.py: consistency,
then the duplicate check at its threshold for the gallery's size, on the cached
vectors); the face-only door is calibrated with app/admin/calibration.calibrate for
each target and the card; then each enrolled person's 4th photo comes to the door, and
one photo of every report-half person never enrolled plays a stranger. With frames:
enrolled people with 6 photos come with their 4th-6th fused (the service's fusion,
threshold less the card's frame_offset), unenrolled repeat people with 3 of theirs.
Prints enrolment refusals, the calibration's answer, stranger FAR, FRR and
wrong-person admits, for one photo and for 3 frames.
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
from benchmarks.open_set import people_of, singles_of


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


def _fused(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0)
    return mean / np.linalg.norm(mean)


def _door(gallery: np.ndarray, genuine_probes: np.ndarray, owners: np.ndarray, strangers: np.ndarray,
          threshold: float) -> dict:
    """Stranger FAR, FRR and wrong-person admits of one door at `threshold` (nearest template);
    owners[k] is the gallery row of genuine_probes[k]'s person."""
    genuine = ip_to_l2(np.einsum("pd,gkd->pgk", genuine_probes, gallery)).min(axis=2)
    nearest = genuine.argmin(axis=1)
    right = nearest == owners
    admitted = genuine.min(axis=1) <= threshold
    stranger = ip_to_l2(np.einsum("pd,gkd->pgk", strangers, gallery)).min(axis=(1, 2))
    return {"threshold": round(threshold, 4), "genuine": len(genuine_probes), "strangers": len(strangers),
            "stranger_far": round(float(np.mean(stranger <= threshold)), 4),
            "frr": round(float(np.mean(~(admitted & right))), 4),
            "wrong_person": round(float(np.mean(admitted & ~right)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--target", type=float, nargs="+", default=[1e-3, 1e-2])
    args = parser.parse_args()
    settings = Settings()
    card_json = json.loads(settings.model_card.read_text())
    card = OpenSetCard.from_card(card_json)
    if card is None:
        raise SystemExit("the model card has no open_set section: run tools/fit_open_set.py")
    cache = load_cache()
    people = people_of(cache, fitting=False)
    wanted = min(args.people, len(people))
    enrolled, refused = enrol(people, card, settings.duplicate_rate, card_json["recommended_threshold"], wanted)
    persons = np.repeat(np.arange(len(enrolled)), 3)
    vectors = np.concatenate([people[i][:3] for i in enrolled])
    gallery = vectors.reshape(len(enrolled), 3, -1)
    unenrolled = [p for i, p in enumerate(people) if i not in set(enrolled)]
    strangers = np.concatenate([np.stack([p[0] for p in unenrolled]), singles_of(cache, fitting=False)])
    framed = [k for k, i in enumerate(enrolled) if len(people[i]) >= 6]
    print(json.dumps({"asked": wanted, "enrolled": len(enrolled), "refused": refused}))
    for target in args.target:
        result = calibrate(CalibrationData(persons, vectors, np.empty(0), np.empty(0)), target, True, card)
        threshold = result["threshold"]
        one = _door(gallery, np.stack([people[i][3] for i in enrolled]), np.arange(len(enrolled)), strangers,
                    threshold)
        # 3 frames: the whole gallery, probed by the enrolled people with 6 photos; strangers with
        # 3 photos are fused like them.
        frames = _door(gallery, np.stack([_fused(people[enrolled[k]][3:6]) for k in framed]), np.asarray(framed),
                       np.stack([_fused(p[:3]) for p in unenrolled]), threshold - card.frame_offset) \
            if framed else None
        print(json.dumps({"target": target,
                          "calibration": {k: result[k] for k in ("threshold", "basis", "estimated_far",
                                                                 "estimated_frr", "resolvable")},
                          "one_photo": one, "three_frames": frames}))


if __name__ == "__main__":
    main()
