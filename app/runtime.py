"""The one assembler: what a running facegate process holds (settings, database, face worker,
gallery, thresholds), how it is started, and the dependencies that hand its parts to routes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.core.db import Database
from app.core.migrate import upgrade_database
from app.core.settings import Settings
from app.doors.service import Thresholds
from app.face.factory import serving_pipelines
from app.face.pipeline import FacePipeline
from app.face.worker import FaceWorker
from app.gallery.index import Gallery
from app.gallery.sync import GallerySync
from app.keys.models import ADMIN
from app.keys.service import ensure_key


@dataclass
class Runtime:
    settings: Settings
    db: Database
    pipeline: FacePipeline
    gallery: Gallery
    sync: GallerySync
    face_worker: FaceWorker  # all CPU-bound face work, batched, one thread per core
    thresholds: Thresholds

    @property
    def model_id(self) -> str:
        return self.pipeline.encoder.model_id


def start_runtime(settings: Settings) -> Runtime:
    """Migrate, load the model, fill the index (snapshot + change log, or SQL); refuse to start on a
    model mismatch."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.sqlalchemy_url)
    db = Database(settings.sqlalchemy_url)
    if settings.admin_key:
        with db.session() as session:
            ensure_key(session, settings.admin_key, ADMIN, "FACEGATE_ADMIN_KEY")
    pipelines = serving_pipelines(settings)
    pipeline = pipelines[0]
    gallery = Gallery(pipeline.encoder.dim, settings.gallery_exact_max, settings.gallery_nprobe)
    sync = GallerySync(db, gallery, pipeline.encoder.model_id)
    if sync.load(settings.index_snapshot_path) == "sql" and settings.index_snapshot_path:
        sync.save(settings.index_snapshot_path)  # so that even a crash restarts from here
    worker = FaceWorker(pipelines, settings.face_batch_max, settings.face_batch_wait_ms)
    thresholds = Thresholds(pipeline.encoder.recommended_threshold)
    return Runtime(settings, db, pipeline, gallery, sync, worker, thresholds)


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
