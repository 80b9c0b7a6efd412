"""Keeps a replica's FAISS gallery in step with SQL by following the template change log.

SQL decides: for every template named by a change, the index holds it iff its row
exists. Replaying a change is therefore harmless, which lets local writes update the
index directly and the follower confirm them later, and lets a replica catch up on
writes made through any other replica.
"""
from __future__ import annotations

import logging
import threading
import time

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.db import Database
from app.gallery.index import Gallery
from app.gallery.models import TemplateChange
from app.people.models import FaceTemplate

log = logging.getLogger(__name__)

GAP_PATIENCE_SECONDS = 30.0  # a revision missing longer than this was rolled back


class ModelMismatch(RuntimeError):
    """Templates were made by another model than the one loaded: distances would be meaningless."""


class GallerySync:
    def __init__(self, db: Database, gallery: Gallery, model_id: str) -> None:
        self.db = db
        self.gallery = gallery
        self.model_id = model_id
        self.revision = 0
        self._gaps: dict[int, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check_models(self, session: Session) -> None:
        others = session.scalars(select(FaceTemplate.model_id).where(FaceTemplate.model_id != self.model_id)
                                 .distinct()).all()
        if others:
            raise ModelMismatch(
                f"the database holds templates made by {sorted(others)}, but the loaded model is "
                f"{self.model_id!r}; start with that model (FACEGATE_MODEL_CARD) or re-embed the gallery")

    def rebuild(self) -> None:
        """Load every template from SQL (start-up)."""
        with self.db.session() as session:
            self.check_models(session)
            with self._lock:
                self.revision = session.scalar(select(func.coalesce(func.max(TemplateChange.revision), 0)))
                self._gaps.clear()
                rows = session.execute(select(FaceTemplate.id, FaceTemplate.person_id, FaceTemplate.vector)).all()
                if rows:
                    vectors = np.stack([np.frombuffer(r.vector, np.float32) for r in rows])
                    self.gallery.add([r.id for r in rows], [r.person_id for r in rows], vectors)
        log.info("gallery rebuilt", extra={"templates": len(self.gallery), "revision": self.revision})

    def catch_up(self) -> int:
        """Apply changes written since the last call (by any replica); returns how many."""
        with self.db.session() as session, self._lock:
            since = min([self.revision, *[g - 1 for g in self._gaps]])
            changes = session.scalars(select(TemplateChange).where(TemplateChange.revision > since)
                                      .order_by(TemplateChange.revision)).all()
            seen = {c.revision for c in changes}
            now = time.monotonic()
            top = max(seen, default=self.revision)
            for missing in set(range(self.revision + 1, top + 1)) - seen:
                self._gaps.setdefault(missing, now)
            self._gaps = {r: t for r, t in self._gaps.items() if r not in seen and now - t < GAP_PATIENCE_SECONDS}
            self.revision = max(self.revision, top)
            if not changes:
                return 0
            ids = sorted({c.template_id for c in changes})
            rows = session.execute(select(FaceTemplate.id, FaceTemplate.person_id, FaceTemplate.vector)
                                   .where(FaceTemplate.id.in_(ids))).all()
            present = {r.id for r in rows}
            if rows:
                self.gallery.add([r.id for r in rows], [r.person_id for r in rows],
                                 np.stack([np.frombuffer(r.vector, np.float32) for r in rows]))
            self.gallery.remove([t for t in ids if t not in present])
            return len(changes)

    def latest_revision(self) -> int:
        with self.db.session() as session:
            return session.scalar(select(func.coalesce(func.max(TemplateChange.revision), 0)))

    def start(self, interval: float) -> None:
        """Follow the change log in a background thread until stop()."""
        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.catch_up()
                except Exception:  # noqa: BLE001 - keep following; readiness shows the lag
                    log.exception("gallery catch-up failed")

        self._thread = threading.Thread(target=loop, name="gallery-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
