"""Batched face work: photos analysed together give the answers they give alone."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError

from app.core.settings import Settings
from app.face.errors import NO_FACE, NOT_AN_IMAGE, FaceRejected
from app.face.factory import build_detector, build_pipeline, quiet_pipeline, serving_pipelines
from app.face.pipeline import FaceChip, FacePipeline
from app.face.worker import FaceResult, FaceWorker
from tests.helpers import CELEBA, no_face, photos, read, validation_people


@pytest.fixture(scope="module")
def pipeline():
    return build_pipeline(Settings())


def _batches_served() -> float:
    return REGISTRY.get_sample_value("facegate_face_batch_photos_count") or 0.0


def test_batched_detection_matches_one_by_one(pipeline) -> None:
    people = validation_people(CELEBA, 2)
    good = [read(p) for p in photos(people[0], CELEBA)[:2] + photos(people[1], CELEBA)[:1] + photos("Colin_Powell")[:2]]
    batch = [good[0], b"not a picture", good[1], no_face(), *good[2:]]
    results = pipeline.door_chips(batch)
    assert [r.reason for r in results if isinstance(r, FaceRejected)] == [NOT_AN_IMAGE, NO_FACE]
    assert isinstance(results[1], FaceRejected) and isinstance(results[3], FaceRejected)
    chips = [r for r in results if isinstance(r, FaceChip)]
    alone = [pipeline.door_chip(data) for data in good]
    for together, single in zip(chips, alone):
        assert np.abs(together.detection.landmarks - single.detection.landmarks).max() < 0.5
    cosine = (pipeline.embed(chips) * pipeline.embed(alone)).sum(axis=1)
    assert cosine.min() > 0.999


def test_worker_batches_simultaneous_requests_and_answers_each(pipeline) -> None:
    person = validation_people(CELEBA, 1)[0]
    requests = [[read(p)] for p in photos(person, CELEBA)[:6]] + [[no_face()], [b"junk", read(photos("Colin_Powell")[0])]]
    expected = [pipeline.embed([pipeline.door_chip(r[-1])])[0] for r in requests if r[-1] != no_face()]
    worker = FaceWorker([pipeline], max_batch=8, wait_ms=200)  # a long wait makes the batching certain
    before = _batches_served()
    try:
        with ThreadPoolExecutor(len(requests)) as pool:
            answers = list(pool.map(worker.analyze, requests))
    finally:
        worker.close()
    assert _batches_served() - before < len(requests)  # some requests shared a batch
    assert [len(a) for a in answers] == [len(r) for r in requests]
    assert isinstance(answers[6][0], FaceRejected) and answers[6][0].reason == NO_FACE
    assert isinstance(answers[7][0], FaceRejected) and answers[7][0].reason == NOT_AN_IMAGE
    vectors = [a[-1].vector for a in answers if isinstance(a[-1], FaceResult)]
    assert len(vectors) == 7
    assert min(float(v @ e) for v, e in zip(vectors, expected)) > 0.999


class CountingPipeline(FacePipeline):
    """A real pipeline that also counts the photos it analysed."""

    def __init__(self, pipeline: FacePipeline) -> None:
        super().__init__(build_detector(Settings(), threads=1), pipeline.encoder, pipeline.policy)
        self.analysed = 0

    def door_chips(self, photos: list[bytes]) -> list:
        self.analysed += len(photos)
        return super().door_chips(photos)


def test_workers_share_a_burst(pipeline) -> None:
    data = [read(p) for p in photos("Tony_Blair")[:8]]
    first, second = CountingPipeline(pipeline), CountingPipeline(pipeline)
    worker = FaceWorker([first, second], max_batch=8, wait_ms=300)  # both wait for company
    try:
        with ThreadPoolExecutor(len(data)) as pool:
            answers = list(pool.map(worker.analyze, [[d] for d in data]))
    finally:
        worker.close()
    assert first.analysed > 0 and second.analysed > 0  # the first awake took its share, not the lot
    assert first.analysed + second.analysed == len(data)
    expected = pipeline.embed([pipeline.door_chip(d) for d in data])
    assert min(float(a[0].vector @ e) for a, e in zip(answers, expected)) > 0.999


def _wait_until_idle(worker: FaceWorker, workers: int) -> None:
    deadline = time.monotonic() + 10
    while worker._idle < workers and time.monotonic() < deadline:  # every thread waiting for work
        time.sleep(0.01)


def test_idle_workers_share_one_requests_photos(pipeline) -> None:
    data = [read(p) for p in photos("Colin_Powell")[:4]]
    first, second = CountingPipeline(pipeline), CountingPipeline(pipeline)
    worker = FaceWorker([first, second], max_batch=8)
    try:
        _wait_until_idle(worker, 2)
        answers = worker.analyze(data)  # one enrolment's photos
    finally:
        worker.close()
    assert (first.analysed, second.analysed) in ((2, 2), (3, 1), (1, 3))
    expected = pipeline.embed([pipeline.door_chip(d) for d in data])
    assert min(float(a.vector @ e) for a, e in zip(answers, expected)) > 0.999  # in the caller's order


def test_a_lone_photo_gets_every_core_and_a_crowd_one_core_each(pipeline) -> None:
    data = [read(p) for p in photos("Tony_Blair")[:6]]
    first, second, quiet = CountingPipeline(pipeline), CountingPipeline(pipeline), CountingPipeline(pipeline)
    worker = FaceWorker([first, second], max_batch=1, quiet=quiet)
    try:
        _wait_until_idle(worker, 2)
        alone = worker.analyze(data[:1])  # nothing else queued, both workers idle
        assert (quiet.analysed, first.analysed + second.analysed) == (1, 0)
        _wait_until_idle(worker, 2)
        crowd = worker.analyze(data)  # six photos queued at once
    finally:
        worker.close()
    assert first.analysed + second.analysed >= 5 and quiet.analysed <= 2
    expected = pipeline.embed([pipeline.door_chip(d) for d in data])
    assert float(alone[0].vector @ expected[0]) > 0.9999
    assert min(float(a.vector @ e) for a, e in zip(crowd, expected)) > 0.9999


def test_the_quiet_pipeline_has_its_own_sessions_and_can_be_turned_off(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, face_workers=2, quiet_threads=2)
    quiet, workers = quiet_pipeline(settings), serving_pipelines(settings)
    assert quiet is not None and quiet.encoder is not workers[0].encoder
    assert quiet.detector is not workers[0].detector and quiet.detector is not workers[1].detector
    assert quiet_pipeline(Settings(data_dir=tmp_path, quiet_threads=1)) is None


def test_each_worker_gets_its_own_detector_and_shares_the_encoder(tmp_path) -> None:
    pipelines = serving_pipelines(Settings(face_workers=3, inference_backend="torch", data_dir=tmp_path))
    assert len(pipelines) == 3
    assert len({id(p.detector) for p in pipelines}) == 3  # a detector is not thread-safe
    assert len({id(p.encoder) for p in pipelines}) == 1  # one copy of the weights


def test_no_workers_is_refused_at_start() -> None:
    with pytest.raises(ValidationError):
        Settings(face_workers=0)
    with pytest.raises(ValueError):
        FaceWorker([])


def test_worker_finishes_queued_photos_on_close(pipeline) -> None:
    worker = FaceWorker([pipeline], max_batch=2)
    data = read(photos("Tony_Blair")[0])
    with ThreadPoolExecutor(4) as pool:
        pending = [pool.submit(worker.analyze, [data]) for _ in range(4)]
        time.sleep(0.05)  # all four are queued; the first batch is still running
        worker.close()
        assert all(isinstance(f.result(timeout=60)[0], FaceResult) for f in pending)
    with pytest.raises(RuntimeError):
        worker.analyze([data])
