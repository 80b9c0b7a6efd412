"""The in-memory FAISS gallery: template vectors by template id, with their person.

Vectors are unit length, so inner product search is L2 search: d = sqrt(2 - 2 * ip).
IndexIDMap2 over a flat index supports exact search and removal by id.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

import faiss
import numpy as np


@dataclass(frozen=True)
class PersonMatch:
    person_id: int
    distance: float
    template_id: int


def ip_to_l2(ip: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(2.0 - 2.0 * ip, 0.0, None))


class Gallery:
    """Thread-safe: one lock guards the FAISS index and the id -> person map together."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._lock = threading.RLock()
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._person_of: dict[int, int] = {}
        self._templates_of: dict[int, set[int]] = defaultdict(set)

    def __len__(self) -> int:
        with self._lock:
            return self._index.ntotal

    def __contains__(self, template_id: int) -> bool:
        with self._lock:
            return template_id in self._person_of

    @property
    def person_count(self) -> int:
        with self._lock:
            return len(self._templates_of)

    def add(self, template_ids: list[int], person_ids: list[int], vectors: np.ndarray) -> None:
        """Add templates not yet present (idempotent, so replaying a change log is safe)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        with self._lock:
            new = [i for i, t in enumerate(template_ids) if t not in self._person_of]
            if not new:
                return
            ids = np.asarray([template_ids[i] for i in new], dtype=np.int64)
            self._index.add_with_ids(vectors[new], ids)
            for i in new:
                self._person_of[template_ids[i]] = person_ids[i]
                self._templates_of[person_ids[i]].add(template_ids[i])

    def remove(self, template_ids: list[int]) -> list[int]:
        """Remove the templates present; returns the ids actually removed."""
        with self._lock:
            present = [t for t in template_ids if t in self._person_of]
            if present:
                self._index.remove_ids(np.asarray(present, dtype=np.int64))
                for t in present:
                    person = self._person_of.pop(t)
                    self._templates_of[person].discard(t)
                    if not self._templates_of[person]:
                        del self._templates_of[person]
            return present

    def vectors_of(self, person_id: int) -> tuple[list[int], np.ndarray]:
        with self._lock:
            ids = sorted(self._templates_of.get(person_id, ()))
            if not ids:
                return [], np.empty((0, self.dim), np.float32)
            return ids, np.stack([self._index.reconstruct(t) for t in ids])

    def nearest_people(self, vector: np.ndarray, people: int = 5) -> list[PersonMatch]:
        """The closest people (min distance over each person's templates), nearest first."""
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dim)
        with self._lock:
            total = self._index.ntotal
            if total == 0:
                return []
            # Enough neighbours that `people` distinct persons are very likely among them.
            k = min(total, max(32, people * 8))
            scores, ids = self._index.search(query, k)
            owners = [self._person_of.get(int(t)) for t in ids[0]]
        best: dict[int, PersonMatch] = {}
        for score, template, person in zip(ip_to_l2(scores[0]), ids[0], owners):
            if template < 0 or person is None:
                continue
            if person not in best or score < best[person].distance:
                best[person] = PersonMatch(person, float(score), int(template))
        return sorted(best.values(), key=lambda m: m.distance)[:people]

    def distance_to(self, person_id: int, vector: np.ndarray) -> PersonMatch | None:
        """1:1 comparison with one person's templates (badge mode)."""
        ids, vectors = self.vectors_of(person_id)
        if not ids:
            return None
        distances = ip_to_l2(vectors @ np.asarray(vector, np.float32).reshape(-1))
        best = int(np.argmin(distances))
        return PersonMatch(person_id, float(distances[best]), ids[best])

    def snapshot(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(template ids, person ids, vectors) of everything indexed, for calibration."""
        with self._lock:
            ids = np.asarray(sorted(self._person_of), dtype=np.int64)
            persons = np.asarray([self._person_of[int(t)] for t in ids], dtype=np.int64)
            vectors = (np.stack([self._index.reconstruct(int(t)) for t in ids]) if len(ids)
                       else np.empty((0, self.dim), np.float32))
        return ids, persons, vectors
