"""One write to SQL and the index together: both happen, or neither does.

The index is changed after the SQL rows are flushed and before the commit; if the
index refuses, SQL is rolled back; if the commit fails, the index change is undone.
The change-log rows are written in the same transaction, for the other replicas.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sqlalchemy.orm import Session

from app.gallery.index import Gallery
from app.gallery.models import ADD, REMOVE, TemplateChange
from app.gallery.sync import GallerySync, announce_change

_write_lock = threading.Lock()  # one writer at a time per process keeps undo simple


class IndexTransaction:
    def __init__(self, session: Session, gallery: Gallery) -> None:
        self.session = session
        self.gallery = gallery
        self._added: list[int] = []
        self._removed: list[tuple[int, int, np.ndarray]] = []

    def add(self, template_ids: list[int], person_ids: list[int], vectors: np.ndarray) -> None:
        self.session.add_all(TemplateChange(template_id=t, person_id=p, op=ADD)
                             for t, p in zip(template_ids, person_ids))
        self.session.flush()
        announce_change(self.session)
        self.gallery.add(template_ids, person_ids, vectors)
        self._added += template_ids

    def remove(self, template_ids: list[int], person_ids: list[int]) -> None:
        self.session.add_all(TemplateChange(template_id=t, person_id=p, op=REMOVE)
                             for t, p in zip(template_ids, person_ids))
        self.session.flush()
        announce_change(self.session)
        for person in set(person_ids):
            ids, vectors = self.gallery.vectors_of(person)
            self._removed += [(t, person, v) for t, v in zip(ids, vectors) if t in template_ids]
        self.gallery.remove(template_ids)

    def undo(self) -> None:
        self.gallery.remove(self._added)
        if self._removed:
            self.gallery.add([t for t, _, _ in self._removed], [p for _, p, _ in self._removed],
                             np.stack([v for _, _, v in self._removed]))


@contextmanager
def index_transaction(session: Session, sync: GallerySync) -> Iterator[IndexTransaction]:
    """Commit SQL and keep the index change, or roll back SQL and undo the index change.

    After the commit the replica's change-log position moves past its own write, so
    readiness reports the index in step at once.
    """
    with _write_lock:
        tx = IndexTransaction(session, sync.gallery)
        try:
            yield tx
            session.commit()
        except BaseException:
            session.rollback()
            tx.undo()
            raise
    sync.catch_up()
