"""A few threads do all face work, each on its own core, batching photos that arrive together.

On two cores, two workers that each run MTCNN and the encoder single-threaded analyse
1.3-1.6x the photos per second of one worker whose every operator is split over both
cores: these networks are too small for intra-op threads to pay, and one worker's Python
glue runs while the other's networks compute (benchmarks/face_workers.py).
A worker starts on a photo at once (or after `wait_ms`, if set), so a quiet door pays
nothing for batching; under load, a worker takes its share of what queued while it was
busy, leaving the rest to idle workers.

A photo that is the only work at all (nothing queued, every other worker idle) runs on the
`quiet` pipeline instead, whose networks use every core: one door at a quiet hour is
answered sooner, while under load each worker keeps its single thread (two threads per
worker on two busy cores lose throughput; benchmarks/README.md, door latency).
"""
from __future__ import annotations

import logging
import math
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np
from prometheus_client import Histogram

from app.face.errors import FaceRejected
from app.face.pipeline import FaceChip, FacePipeline

log = logging.getLogger(__name__)
FACE_BATCH_PHOTOS = Histogram("facegate_face_batch_photos", "Photos analysed together by a face worker",
                              buckets=(1, 2, 4, 8, 16, 32))


@dataclass(frozen=True)
class FaceResult:
    face: FaceChip
    vector: np.ndarray  # unit-length embedding


@dataclass
class _Job:
    photo: bytes
    future: Future = field(default_factory=Future)


class FaceWorker:
    """One thread per pipeline (a detector is not thread-safe; pipelines may share an encoder)."""

    def __init__(self, pipelines: list[FacePipeline], max_batch: int = 8, wait_ms: float = 0.0,
                 quiet: FacePipeline | None = None) -> None:
        if not pipelines:
            raise ValueError("a face worker needs at least one pipeline")  # else every photo would wait forever
        self.max_batch = max_batch
        self.wait_s = wait_ms / 1000
        self._quiet = quiet
        self._quiet_free = threading.Lock()  # the quiet pipeline's detector is not thread-safe either
        self._pending: deque[_Job] = deque()
        self._changed = threading.Condition()
        self._idle = 0  # workers waiting for photos
        self._closed = False
        self._threads = [threading.Thread(target=self._run, args=(pipeline,), name=f"face-worker-{i}", daemon=True)
                         for i, pipeline in enumerate(pipelines)]
        for thread in self._threads:
            thread.start()

    def analyze(self, photos: list[bytes]) -> list[FaceResult | FaceRejected]:
        """For each photo its aligned face and embedding, or why it was refused (blocks the caller).
        Each photo is queued alone, so idle workers share one enrolment's photos."""
        jobs = [_Job(photo) for photo in photos]
        with self._changed:
            if self._closed:
                raise RuntimeError("the face worker has stopped")
            self._pending.extend(jobs)
            self._changed.notify(len(jobs))
        return [job.future.result() for job in jobs]

    def close(self) -> None:
        """Finish every photo already queued, then stop."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()

    def _run(self, pipeline: FacePipeline) -> None:
        while (taken := self._next_batch()) is not None:
            batch, alone = taken
            if alone and self._quiet is not None and self._quiet_free.acquire(blocking=False):
                try:
                    self._serve(self._quiet, batch)
                finally:
                    self._quiet_free.release()
            else:
                self._serve(pipeline, batch)

    def _next_batch(self) -> tuple[list[_Job], bool] | None:
        """This worker's share of the queue, and whether it is the only work there is (nothing
        left queued, every other worker idle); None once closed with nothing left."""
        with self._changed:
            self._idle += 1
            try:
                while True:
                    self._changed.wait_for(lambda: self._pending or self._closed)
                    if not self._pending:
                        return None
                    if self.wait_s:
                        self._changed.wait_for(lambda: len(self._pending) >= self.max_batch or self._closed,
                                               timeout=self.wait_s)
                    if self._pending:  # another worker may have taken them while this one waited
                        break
            finally:
                self._idle -= 1
            share = min(self.max_batch, math.ceil(len(self._pending) / (self._idle + 1)))
            batch = [self._pending.popleft() for _ in range(share)]
            if self._pending:
                self._changed.notify()  # the rest is another worker's
            return batch, not self._pending and self._idle == len(self._threads) - 1

    def _serve(self, pipeline: FacePipeline, batch: list[_Job]) -> None:
        try:
            results = self._analyze(pipeline, [job.photo for job in batch])
        except Exception as exc:  # noqa: BLE001 - one bad photo must not fail the others in its batch
            if len(batch) > 1:
                for job in batch:
                    self._serve(pipeline, [job])
                return
            log.exception("face analysis failed")
            batch[0].future.set_exception(exc)
            return
        for job, result in zip(batch, results):
            job.future.set_result(result)

    @staticmethod
    def _analyze(pipeline: FacePipeline, photos: list[bytes]) -> list[FaceResult | FaceRejected]:
        FACE_BATCH_PHOTOS.observe(len(photos))
        chips = pipeline.door_chips(photos)
        vectors = iter(pipeline.embed([c for c in chips if isinstance(c, FaceChip)]))
        return [c if isinstance(c, FaceRejected) else FaceResult(c, next(vectors)) for c in chips]
