"""What a running facegate process holds: settings, database, face pipeline, gallery."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from app.core.db import Database
from app.core.settings import Settings
from app.face.pipeline import FacePipeline
from app.face.worker import FaceWorker
from app.gallery.index import Gallery
from app.gallery.sync import GallerySync


@dataclass
class Runtime:
    settings: Settings
    db: Database
    pipeline: FacePipeline
    gallery: Gallery
    sync: GallerySync
    face_worker: FaceWorker  # all CPU-bound face work, batched, one thread per core

    @property
    def model_id(self) -> str:
        return self.pipeline.encoder.model_id


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime
