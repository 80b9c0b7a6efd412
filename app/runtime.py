"""What a running facegate process holds: settings, database, face pipeline, gallery."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, TypeVar

from fastapi import Request

from app.core.db import Database
from app.core.settings import Settings
from app.face.pipeline import FacePipeline
from app.gallery.index import Gallery
from app.gallery.sync import GallerySync

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    pipeline: FacePipeline
    gallery: Gallery
    sync: GallerySync
    face_executor: ThreadPoolExecutor  # CPU-bound face work, sized so cores are not oversubscribed

    @property
    def model_id(self) -> str:
        return self.pipeline.encoder.model_id

    def run_face(self, fn: Callable[..., T], *args: object) -> T:
        """Run detection/encoding on the face worker pool and wait for it (called off the event loop)."""
        return self.face_executor.submit(fn, *args).result()


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime
