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
from app.face.open_set import OpenSetCard
from app.face.pipeline import FacePipeline
from app.face.worker import FaceWorker
from app.gallery.index import Gallery
from app.gallery.sync import GallerySync
from app.keys.ratelimit import FailureLimiter
from app.keys.service import ensure_bootstrap_key
from app.security.chain import AuditChain
from app.security.crypto import DataKeys
from app.security.secret import ServerSecret


@dataclass
class Runtime:
    settings: Settings
    db: Database
    pipeline: FacePipeline
    gallery: Gallery
    sync: GallerySync
    face_worker: FaceWorker  # all CPU-bound face work, batched, one thread per core
    thresholds: Thresholds
    secret: ServerSecret  # key hashes and the audit chain
    data_keys: DataKeys  # crops and backups
    chain: AuditChain
    auth_limiter: FailureLimiter
    open_set: OpenSetCard | None  # the card's held-out search rates (duplicates, face-only defaults)

    @property
    def model_id(self) -> str:
        return self.pipeline.encoder.model_id


def start_runtime(settings: Settings) -> Runtime:
    """Migrate, load the model, fill the index (snapshot + change log, or SQL); refuse to start on a
    model mismatch."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.sqlalchemy_url)
    db, secret, chain = open_database(settings)
    data_keys = DataKeys.load(settings.data_key_path, settings.data_key)
    with db.session() as session:
        chain.seal_legacy(session)
        if settings.admin_key:
            ensure_bootstrap_key(session, secret, settings.admin_key)
    pipelines = serving_pipelines(settings)
    pipeline = pipelines[0]
    gallery = Gallery(pipeline.encoder.dim, settings.gallery_exact_max, settings.gallery_nprobe)
    sync = GallerySync(db, gallery, pipeline.encoder.model_id)
    if sync.load(settings.index_snapshot_path) == "sql" and settings.index_snapshot_path:
        sync.save(settings.index_snapshot_path)  # so that even a crash restarts from here
    worker = FaceWorker(pipelines, settings.face_batch_max, settings.face_batch_wait_ms)
    open_set = OpenSetCard.from_card(pipeline.encoder.card)
    thresholds = Thresholds(pipeline.encoder.recommended_threshold, open_set, settings.face_only_fpir)
    return Runtime(settings, db, pipeline, gallery, sync, worker, thresholds, secret, data_keys, chain,
                   FailureLimiter(settings.auth_failures_per_minute), open_set)


def open_database(settings: Settings) -> tuple[Database, ServerSecret, AuditChain]:
    """The database with its audit chain sealing every commit (the server and the CLI alike)."""
    db = Database(settings.sqlalchemy_url)
    secret = ServerSecret.load(settings.secret_path)
    chain = AuditChain(secret)
    chain.install(db.sessions)
    return db, secret, chain


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
