"""The duplicate-person check on 1,000+ distinct newcomers, and on re-enrolments under a new name.

    .venv/bin/python -m benchmarks.dev_embeddings   # once: the cache under var/
    .venv/bin/python -m benchmarks.duplicates [--rates 0.001 0.01 0.1]

Report-half people only (the card's open_set section was fitted on the other half), every
one of them a distinct person: repeat people enrolled with 3 photos, people with one
usable photo with it, in a seeded order, one after another as a clerk would. Each
newcomer meets the service's rule (app/people/integrity.py: the card's threshold for
FACEGATE_DUPLICATE_RATE at the gallery's size then, never above the door default), so
every flag is a false duplicate refusal. Then each enrolled repeat person's 4th photo is
enrolled again under a new name against the full gallery: the share flagged is the share
of re-enrolments caught. One row per duplicate rate.
"""
from __future__ import annotations

import argparse
import json

import numpy as np

from app.core.settings import Settings
from app.face.open_set import OpenSetCard
from app.gallery.index import ip_to_l2
from app.people.integrity import IdentityRules
from benchmarks.dev_embeddings import load_cache
from benchmarks.open_set import people_of, singles_of


def run(newcomers: list[np.ndarray], repeats: int, rules: IdentityRules, door_default: float) -> dict:
    """newcomers[:repeats] have >= 4 photos (3 enrolled, the 4th re-enrolled), the rest one."""
    order = np.random.default_rng(2).permutation(len(newcomers))
    gallery = np.empty((0, newcomers[0].shape[1]), np.float32)
    owner = np.empty(0, int)
    flagged = 0
    for i in order:
        photos = newcomers[i][:3] if i < repeats else newcomers[i][:1]
        threshold = rules.duplicate_threshold(len(gallery), door_default)
        if len(gallery) and ip_to_l2(photos @ gallery.T).min() <= threshold:
            flagged += 1
            continue  # refused: not enrolled
        gallery = np.vstack([gallery, photos])
        owner = np.r_[owner, np.full(len(photos), i)]
    threshold = rules.duplicate_threshold(len(gallery), door_default)
    enrolled_repeats = [i for i in range(repeats) if i in set(owner.tolist())]
    again = np.stack([newcomers[i][3] for i in enrolled_repeats])
    caught = (ip_to_l2(again @ gallery.T).min(axis=1) <= threshold).mean()
    return {"duplicate_rate": rules.duplicate_rate, "newcomers": len(newcomers), "false_refusals": flagged,
            "false_refusal_share": round(flagged / len(newcomers), 4), "final_templates": int(len(gallery)),
            "final_threshold": round(threshold, 4), "re_enrolments": len(enrolled_repeats),
            "re_enrolments_caught": round(float(caught), 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", type=float, nargs="+", default=[1e-3, 1e-2, 1e-1])
    args = parser.parse_args()
    settings = Settings()
    card_json = json.loads(settings.model_card.read_text())
    card = OpenSetCard.from_card(card_json)
    cache = load_cache()
    repeats = people_of(cache, fitting=False)
    newcomers = repeats + list(singles_of(cache, fitting=False)[:, None, :])
    for rate in args.rates:
        print(json.dumps(run(newcomers, len(repeats), IdentityRules(card, rate, None),
                             card_json["recommended_threshold"])))


if __name__ == "__main__":
    main()
