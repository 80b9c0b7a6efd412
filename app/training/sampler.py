"""PK batches: P people x K photos each, so every batch holds positives and hard negatives."""
from __future__ import annotations

from collections import Counter

from pytorch_metric_learning.samplers import MPerClassSampler


def pk_sampler(labels: list[int], people_per_batch: int, photos_per_person: int, epoch_size: int) -> MPerClassSampler:
    """MPerClassSampler draws K photos per person (with replacement below K photos)."""
    if len(Counter(labels)) < people_per_batch:
        raise ValueError(f"a PK batch needs {people_per_batch} people; the data has {len(Counter(labels))}")
    batch = people_per_batch * photos_per_person
    return MPerClassSampler(labels, m=photos_per_person, batch_size=batch,
                            length_before_new_iter=max(batch, epoch_size - epoch_size % batch))
