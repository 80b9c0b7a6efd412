"""The in-memory FAISS gallery: template vectors by template id, with their person.

Vectors are unit length, so inner product search is L2 search: d = sqrt(2 - 2 * ip).
Up to `exact_max` templates the index is exact (IndexIDMap2 over a flat index). Above,
it becomes an inverted-file index (IVF, nprobe lists searched per query), which keeps
removal by id cheap through a hash-table direct map; it is retrained when the gallery
has grown fourfold since its last training. benchmarks/gallery.py measures its recall.
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


def search_alone(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A door's one probe, searched by the calling thread alone (its OpenMP setting restored after).
    With OpenMP's default team a second thread wakes for every search and spins on after it,
    on the core a face worker needs; a 10k search inside the server took 1.8 ms instead of 0.7
    (benchmarks/README.md, where a door answer's time goes)."""
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return index.search(query, k)
    finally:
        faiss.omp_set_num_threads(threads)


def _flat_index(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def _ivf_index(vectors: np.ndarray, ids: np.ndarray, nprobe: int) -> faiss.Index:
    """IVF over inner product, trained on (a sample of) the gallery itself."""
    n, dim = vectors.shape
    nlist = max(64, int(np.sqrt(n)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = vectors[np.random.default_rng(0).choice(n, min(n, 64 * nlist), replace=False)]
    index.train(sample)
    index.set_direct_map_type(faiss.DirectMap.Hashtable)  # remove/reconstruct by id without a scan
    index.nprobe = nprobe
    index.add_with_ids(vectors, ids)
    return index


class Gallery:
    """Thread-safe: one lock guards the FAISS index and the id -> person map together."""

    def __init__(self, dim: int, exact_max: int = 100_000, nprobe: int = 32) -> None:
        self.dim = dim
        self.exact_max = exact_max
        self.nprobe = nprobe
        self._lock = threading.RLock()
        self._index = _flat_index(dim)
        self._trained_size = 0  # 0 while exact
        self._person_of: dict[int, int] = {}
        self._templates_of: dict[int, set[int]] = defaultdict(set)

    @property
    def kind(self) -> str:
        return "exact" if self._trained_size == 0 else f"ivf (nprobe {self.nprobe})"

    def _all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        ids = np.fromiter(self._person_of, dtype=np.int64, count=len(self._person_of))
        if self._trained_size == 0:
            order = faiss.vector_to_array(self._index.id_map)
            return order, self._index.index.reconstruct_n(0, self._index.ntotal)
        return ids, self._index.reconstruct_batch(ids)  # one call: 1M vectors in ~0.1 s, not ~4 s

    def _insert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Exact up to exact_max; IVF above it, retrained after fourfold growth. A batch that
        crosses the line goes straight into a new IVF index (a 1M rebuild never holds an
        exact copy as well)."""
        n = self._index.ntotal + len(ids)
        if (self._trained_size == 0 and n > self.exact_max) or (self._trained_size and n > 4 * self._trained_size):
            if self._index.ntotal:
                old_ids, old_vectors = self._all_vectors()
                ids, vectors = np.concatenate([old_ids, ids]), np.concatenate([old_vectors, vectors])
            self._index = _ivf_index(vectors, ids, self.nprobe)
            self._trained_size = n
        else:
            self._index.add_with_ids(vectors, ids)

    def clear(self) -> None:
        with self._lock:
            self._index = _flat_index(self.dim)
            self._trained_size = 0
            self._person_of.clear()
            self._templates_of.clear()

    def export(self) -> dict[str, np.ndarray]:
        """The whole index as arrays (FAISS's own serialization plus the id -> person map)."""
        with self._lock:
            return {"index": faiss.serialize_index(self._index),
                    "template_ids": np.fromiter(self._person_of.keys(), np.int64, len(self._person_of)),
                    "person_ids": np.fromiter(self._person_of.values(), np.int64, len(self._person_of)),
                    "trained_size": np.int64(self._trained_size)}

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        """Replace the contents with an export()."""
        index = faiss.deserialize_index(np.asarray(arrays["index"], np.uint8))
        if index.d != self.dim or index.ntotal != len(arrays["template_ids"]):
            raise ValueError("the exported index does not fit this gallery")
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = self.nprobe
        with self._lock:
            self.clear()
            self._index = index
            self._trained_size = int(arrays["trained_size"])
            for template, person in zip(arrays["template_ids"].tolist(), arrays["person_ids"].tolist()):
                self._person_of[template] = person
                self._templates_of[person].add(template)

    def fingerprint(self) -> tuple[int, int]:
        """(count, sum) of the template ids, to compare with SQL's."""
        with self._lock:
            return len(self._person_of), sum(self._person_of)

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
            self._insert(ids, vectors if len(new) == len(vectors) else vectors[new])
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
            return ids, self._index.reconstruct_batch(np.asarray(ids, np.int64))

    def nearest_people(self, vector: np.ndarray, people: int = 5) -> list[PersonMatch]:
        """The closest people (min distance over each person's templates), nearest first."""
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dim)
        with self._lock:
            total = self._index.ntotal
            if total == 0:
                return []
            # Enough neighbours that `people` distinct persons are very likely among them.
            k = min(total, max(32, people * 8))
            scores, ids = search_alone(self._index, query, k)
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

    def all_templates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(template ids, person ids, vectors) of everything indexed, for calibration."""
        with self._lock:
            if not self._person_of:
                return np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, self.dim), np.float32)
            ids, vectors = self._all_vectors()
            persons = np.asarray([self._person_of[int(t)] for t in ids], dtype=np.int64)
        return ids, persons, vectors
