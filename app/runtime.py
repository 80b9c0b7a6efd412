"""The one assembler: what a running facegate process holds (settings, database, face worker,
gallery, thresholds), how it is started, and the dependencies that hand its parts to routes."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.core.db import Database
from app.core.migrate import upgrade_database
from app.core.settings import Settings
from app.doors.service import Thresholds
from app.face.encoder import find_card, read_card
from app.face.factory import quiet_pipeline, serving_pipelines
from app.face.open_set import OpenSetCard
from app.face.pipeline import FacePipeline
from app.face.worker import FaceWorker
from app.gallery.index import Gallery
from app.gallery.model_sets import model_in_force
from app.gallery.sync import GallerySync, ModelMismatch
from app.keys.ratelimit import FailureLimiter
from app.keys.service import ensure_bootstrap_key
from app.security.chain import AuditChain
from app.security.crypto import DataKeys
from app.security.secret import ServerSecret

log = logging.getLogger(__name__)
WORKER_GRACE_SECONDS = 10.0  # after a model switch, photos already handed to the old face worker finish


@dataclass
class ModelParts:
    """What depends on the model in force: its face pipelines and worker, its template set's index
    and follower, its thresholds. Swapped as one attribute on a switch, so a request that takes
    them once never mixes two models."""
    pipeline: FacePipeline
    gallery: Gallery
    sync: GallerySync
    face_worker: FaceWorker  # all CPU-bound face work, batched, one thread per core
    thresholds: Thresholds
    open_set: OpenSetCard | None  # the card's held-out search rates (duplicates, face-only defaults)

    @property
    def model_id(self) -> str:
        return self.pipeline.encoder.model_id

    @classmethod
    def load(cls, settings: Settings, db: Database) -> "ModelParts":
        pipelines = serving_pipelines(settings)
        pipeline = pipelines[0]
        gallery = Gallery(pipeline.encoder.dim, settings.gallery_exact_max, settings.gallery_nprobe)
        sync = GallerySync(db, gallery, pipeline.encoder.model_id)
        if sync.load(settings.index_snapshot_path) == "sql" and settings.index_snapshot_path:
            sync.save(settings.index_snapshot_path)  # so that even a crash restarts from here
        worker = FaceWorker(pipelines, settings.face_batch_max, settings.face_batch_wait_ms, quiet_pipeline(settings))
        open_set = OpenSetCard.from_card(pipeline.encoder.card)
        thresholds = Thresholds(pipeline.encoder.recommended_threshold, open_set, settings.face_only_fpir)
        return cls(pipeline, gallery, sync, worker, thresholds, open_set)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    model: ModelParts
    secret: ServerSecret  # key hashes and the audit chain
    data_keys: DataKeys  # crops and backups
    chain: AuditChain
    auth_limiter: FailureLimiter

    # The model's parts, each read alone; a request that needs several takes `model` once.
    @property
    def pipeline(self) -> FacePipeline:
        return self.model.pipeline

    @property
    def gallery(self) -> Gallery:
        return self.model.gallery

    @property
    def sync(self) -> GallerySync:
        return self.model.sync

    @property
    def face_worker(self) -> FaceWorker:
        return self.model.face_worker

    @property
    def thresholds(self) -> Thresholds:
        return self.model.thresholds

    @property
    def open_set(self) -> OpenSetCard | None:
        return self.model.open_set

    @property
    def model_id(self) -> str:
        return self.model.model_id

    def follow(self, interval: float) -> None:
        """Follow the change log, and the model in force: a switch (by the CLI or elsewhere) loads
        the new model and its template set, then puts them in place of the old ones."""
        self.sync.start(interval, self.switch_to)

    def switch_to(self, model_id: str) -> None:
        settings = _settings_for(self.settings, model_id)
        old = self.model
        self.settings, self.model = settings, ModelParts.load(settings, self.db)
        self.follow(settings.index_poll_seconds)
        retire = threading.Timer(WORKER_GRACE_SECONDS, old.face_worker.close)
        retire.daemon = True  # never holds up a shutdown
        retire.start()
        log.info("model switched", extra={"model_id": model_id, "templates": len(self.gallery)})


def _settings_for(settings: Settings, model_id: str) -> Settings:
    """The settings with the card of `model_id` (from the configured card's folder) when another
    model than the configured one is in force."""
    if read_card(settings.model_card)["model_id"] == model_id:
        return settings
    card = find_card(model_id, settings.model_card.parent)
    if card is None:
        raise ModelMismatch(f"the model in force is {model_id!r}, and {settings.model_card.parent} has no card "
                            "of that id")
    return settings.model_copy(update={"model_card": card})


def start_runtime(settings: Settings) -> Runtime:
    """Migrate, load the model in force (the configured card, or the one switched to), fill the
    index with its template set (snapshot + change log, or SQL); refuse to start on a model mismatch."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.sqlalchemy_url)
    db, secret, chain = open_database(settings)
    data_keys = DataKeys.load(settings.data_key_path, settings.data_key)
    with db.session() as session:
        chain.seal_legacy(session)
        if settings.admin_key:
            ensure_bootstrap_key(session, secret, settings.admin_key)
        in_force = model_in_force(session, read_card(settings.model_card)["model_id"])
    settings = _settings_for(settings, in_force)
    return Runtime(settings, db, ModelParts.load(settings, db), secret, data_keys, chain,
                   FailureLimiter(settings.auth_failures_per_minute))


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
