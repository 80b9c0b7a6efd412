"""One thread per process does all face work, batching photos that arrive together.

Two cores give more verifications per second to one worker that runs MTCNN and the
encoder on batches than to many request threads contending for them. The worker starts
on a photo at once (or after `wait_ms`, if set), so a quiet door pays nothing for
batching; under load, whatever queued while a batch ran forms the next one.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from app.core.observability import FACE_BATCH_PHOTOS
from app.face.errors import FaceRejected
from app.face.pipeline import FaceChip, FacePipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FaceResult:
    face: FaceChip
    vector: np.ndarray  # unit-length embedding


@dataclass
class _Job:
    photos: list[bytes]
    future: Future = field(default_factory=Future)


class FaceWorker:
    def __init__(self, pipeline: FacePipeline, max_batch: int = 8, wait_ms: float = 0.0) -> None:
        self.pipeline = pipeline
        self.max_batch = max_batch
        self.wait_s = wait_ms / 1000
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._closing = threading.Lock()  # nothing is queued behind the stop marker
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="face-worker", daemon=True)
        self._thread.start()

    def analyze(self, photos: list[bytes]) -> list[FaceResult | FaceRejected]:
        """For each photo its aligned face and embedding, or why it was refused (blocks the caller)."""
        job = _Job(photos)
        with self._closing:
            if self._closed:
                raise RuntimeError("the face worker has stopped")
            self._jobs.put(job)
        return job.future.result()

    def close(self) -> None:
        """Finish every photo already queued, then stop."""
        with self._closing:
            self._closed = True
            self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[_Job] = []
            photos = 0
            job = self._jobs.get()
            deadline = time.monotonic() + self.wait_s
            while job is not None:
                batch.append(job)
                photos += len(job.photos)
                if photos >= self.max_batch:
                    break
                try:
                    job = self._jobs.get(timeout=max(deadline - time.monotonic(), 1e-4))
                except queue.Empty:
                    break
            else:
                stopping = True
            if batch:
                self._serve(batch)

    def _serve(self, batch: list[_Job]) -> None:
        try:
            results = self._analyze([photo for job in batch for photo in job.photos])
        except Exception as exc:  # noqa: BLE001 - one bad photo must not fail the others in its batch
            if len(batch) > 1:
                for job in batch:
                    self._serve([job])
                return
            log.exception("face analysis failed")
            batch[0].future.set_exception(exc)
            return
        start = 0
        for job in batch:
            job.future.set_result(results[start:start + len(job.photos)])
            start += len(job.photos)

    def _analyze(self, photos: list[bytes]) -> list[FaceResult | FaceRejected]:
        FACE_BATCH_PHOTOS.observe(len(photos))
        chips = self.pipeline.door_chips(photos)
        vectors = iter(self.pipeline.embed([c for c in chips if isinstance(c, FaceChip)]))
        return [c if isinstance(c, FaceRejected) else FaceResult(c, next(vectors)) for c in chips]
