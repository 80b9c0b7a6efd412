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
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.core.db import Database
from app.gallery.index import Gallery
from app.gallery.models import ActiveModel, FaceTemplate, TemplateChange
from app.gallery.snapshot import Snapshot, read_snapshot, write_snapshot

log = logging.getLogger(__name__)

GAP_PATIENCE_SECONDS = 30.0  # a revision missing longer than this was rolled back
CHANNEL = "facegate_templates"
READ_CHUNK = 20_000  # rows per fetch when the whole gallery is read


def announce_change(session: Session) -> None:
    """Wake other replicas at commit (PostgreSQL NOTIFY is delivered only if the transaction commits)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def _switched_to(session: Session) -> str | None:
    """The model recorded as in force (app/gallery/model_sets.py keeps that row); None before any."""
    return session.scalar(select(ActiveModel.model_id))


def _latest_revision(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(TemplateChange.revision), 0)))


class _Listener:
    """LISTEN on PostgreSQL so a replica wakes at once; elsewhere (or on failure) it just sleeps."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.connection = None

    def wait(self, seconds: float, stop: threading.Event) -> None:
        if self.url.startswith("postgresql") and self.connection is None:
            try:
                import psycopg

                libpq = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
                self.connection = psycopg.connect(libpq, autocommit=True, connect_timeout=5)
                self.connection.execute(f"LISTEN {CHANNEL}")
            except Exception:  # noqa: BLE001 - polling still converges
                log.warning("LISTEN unavailable; following the change log by polling", exc_info=True)
                self.connection = None
        if self.connection is None:
            stop.wait(seconds)
            return
        try:
            for _ in self.connection.notifies(timeout=seconds, stop_after=1):
                pass
        except Exception:  # noqa: BLE001 - reconnect on the next wait
            log.warning("LISTEN connection lost", exc_info=True)
            self.close()
            stop.wait(seconds)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


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
        """The loaded model must be the one in force: the switched-to one, or, before any switch, the
        one every template was made with."""
        in_force = _switched_to(session)
        if in_force is not None:
            if in_force != self.model_id:
                raise ModelMismatch(f"the model in force is {in_force!r}, but the loaded model is {self.model_id!r}")
            return
        others = session.scalars(select(FaceTemplate.model_id).where(FaceTemplate.model_id != self.model_id)
                                 .distinct()).all()
        if others:
            raise ModelMismatch(
                f"the database holds templates made by {sorted(others)}, but the loaded model is "
                f"{self.model_id!r}; start with that model (FACEGATE_MODEL_CARD) or re-embed the gallery")

    def model_switched(self) -> str | None:
        """The model now in force when another replica (or the CLI) switched away from this one."""
        with self.db.session() as session:
            in_force = _switched_to(session)
        return in_force if in_force is not None and in_force != self.model_id else None

    def load(self, snapshot_path: Path | None) -> str:
        """Fill the index at start-up from the snapshot plus the changes since, else from SQL;
        returns which it was."""
        if snapshot_path is not None and self._resume(snapshot_path):
            return "snapshot"
        self.rebuild()
        return "sql"

    def _resume(self, path: Path) -> bool:
        snapshot = read_snapshot(path, self.model_id)
        if snapshot is None:
            return False
        with self.db.session() as session:
            self.check_models(session)
            latest = _latest_revision(session)
            written_at = self._written_at(session, snapshot.revision)
        if snapshot.revision > latest or written_at != snapshot.revision_written_at:
            log.warning("index snapshot is of another database or state (restored from a backup?); "
                        "rebuilding from SQL")
            return False
        self.gallery.restore(snapshot.arrays)
        with self._lock:
            self.revision = snapshot.revision
            self._gaps.clear()
        self.catch_up()
        if self.gallery.fingerprint() != self._sql_fingerprint():
            log.warning("index snapshot disagrees with SQL after catch-up; rebuilding from SQL")
            self.gallery.clear()
            return False
        log.info("gallery loaded from snapshot", extra={"templates": len(self.gallery), "revision": self.revision,
                                                        "snapshot_revision": snapshot.revision})
        return True

    def _sql_fingerprint(self) -> tuple[int, int]:
        with self.db.session() as session:
            count, total = session.execute(select(func.count(FaceTemplate.id),
                                                  func.coalesce(func.sum(FaceTemplate.id), 0))
                                           .where(FaceTemplate.model_id == self.model_id)).one()
        return int(count), int(total)

    def save(self, path: Path) -> None:
        """Write the index with the revision it safely reflects (revisions still in doubt excluded)."""
        with self._lock:
            revision = min([self.revision, *[g - 1 for g in self._gaps]])
            arrays = self.gallery.export()
        with self.db.session() as session:
            written_at = self._written_at(session, revision)
        write_snapshot(path, Snapshot(revision, written_at, self.model_id, arrays))

    @staticmethod
    def _written_at(session: Session, revision: int) -> str:
        """When change `revision` was written ('' for none): the same revision number in a
        reset or restored database was written at another time."""
        stamp = session.scalar(select(TemplateChange.created_at).where(TemplateChange.revision == revision))
        return stamp.isoformat() if stamp else ""

    def rebuild(self) -> None:
        """Load every template from SQL."""
        with self.db.session() as session:
            self.check_models(session)
            with self._lock:
                self.gallery.clear()
                self.revision = _latest_revision(session)
                self._gaps.clear()
                ids, persons, vectors = self._read_all(session)
                if ids:
                    self.gallery.add(ids, persons, vectors)
        log.info("gallery rebuilt", extra={"templates": len(self.gallery), "revision": self.revision})

    def _read_all(self, session: Session) -> tuple[list[int], list[int], np.ndarray]:
        """Every template, streamed in chunks straight into one array: a million rows never
        exist as Python objects at once (that alone would hold ~1 GB)."""
        total = session.scalar(select(func.count(FaceTemplate.id)).where(FaceTemplate.model_id == self.model_id))
        vectors = np.empty((total, self.gallery.dim), np.float32)
        ids: list[int] = []
        persons: list[int] = []
        rows = session.execute(select(FaceTemplate.id, FaceTemplate.person_id, FaceTemplate.vector)
                               .where(FaceTemplate.model_id == self.model_id)
                               .execution_options(yield_per=READ_CHUNK))
        for chunk in rows.partitions():
            for row in chunk:
                if len(ids) == len(vectors):  # rows committed since the count
                    vectors = np.concatenate([vectors, np.empty((READ_CHUNK, self.gallery.dim), np.float32)])
                vectors[len(ids)] = np.frombuffer(row.vector, np.float32)
                ids.append(row.id)
                persons.append(row.person_id)
        return ids, persons, vectors[:len(ids)]

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
                                   .where(FaceTemplate.id.in_(ids), FaceTemplate.model_id == self.model_id)).all()
            present = {r.id for r in rows}
            if rows:
                self.gallery.add([r.id for r in rows], [r.person_id for r in rows],
                                 np.stack([np.frombuffer(r.vector, np.float32) for r in rows]))
            self.gallery.remove([t for t in ids if t not in present])
            return len(changes)

    def latest_revision(self) -> int:
        with self.db.session() as session:
            return _latest_revision(session)

    def start(self, interval: float, on_switch: Callable[[str], None] | None = None) -> None:
        """Follow the change log in a background thread until stop(): woken by NOTIFY on
        PostgreSQL, and in any case every `interval` seconds. When the model in force changes,
        `on_switch(model_id)` is called from this thread (which then ends: the caller starts
        the follower of the new set)."""
        listener = _Listener(self.db.url)

        def loop() -> None:
            while not self._stop.is_set():
                listener.wait(interval, self._stop)
                if self._stop.is_set():
                    break
                try:
                    switched = self.model_switched() if on_switch is not None else None
                    if switched is not None:
                        on_switch(switched)
                        self._stop.set()
                        break
                    self.catch_up()
                except Exception:  # noqa: BLE001 - keep following; readiness shows the lag
                    log.exception("gallery catch-up failed")
            listener.close()

        self._thread = threading.Thread(target=loop, name="gallery-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
