"""The FAISS gallery and its change-log follower, on a real database."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import Database
from app.core.migrate import upgrade_database
from app.gallery.index import Gallery
from app.gallery.models import FaceTemplate
from app.gallery.snapshot import read_snapshot
from app.gallery.sync import GallerySync, ModelMismatch
from app.gallery.transaction import index_transaction
from app.people.models import Person


def unit(rng: np.random.Generator, n: int, dim: int = 128) -> np.ndarray:
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_groups_by_person_and_matches_exact_distances() -> None:
    rng = np.random.default_rng(0)
    vectors = unit(rng, 50)
    gallery = Gallery(128)
    gallery.add(list(range(1, 51)), [i // 5 for i in range(50)], vectors)
    query = vectors[12] + 0.05 * unit(rng, 1)[0]
    query /= np.linalg.norm(query)
    matches = gallery.nearest_people(query, people=3)
    exact = np.linalg.norm(vectors - query, axis=1)
    assert matches[0].person_id == 2 and matches[0].template_id == 13
    assert matches[0].distance == pytest.approx(exact.min(), abs=1e-5)
    assert len({m.person_id for m in matches}) == 3  # one entry per person, nearest first
    assert [m.distance for m in matches] == sorted(m.distance for m in matches)
    one = gallery.distance_to(4, query)
    assert one.distance == pytest.approx(exact[20:25].min(), abs=1e-5)


def test_a_door_search_leaves_the_calling_threads_openmp_setting() -> None:
    """One probe needs no OpenMP team (whose spinning thread would take a face worker's core);
    the calling thread's own setting is as before, for the batch work it may do later."""
    import faiss

    vectors = unit(np.random.default_rng(1), 2000)
    gallery = Gallery(128)
    gallery.add(list(range(1, 2001)), [i // 4 for i in range(2000)], vectors)
    faiss.omp_set_num_threads(2)
    assert gallery.nearest_people(vectors[77])[0].template_id == 78
    assert faiss.omp_get_max_threads() == 2


def test_add_is_idempotent_and_remove_shrinks() -> None:
    rng = np.random.default_rng(1)
    gallery = Gallery(128)
    vectors = unit(rng, 4)
    gallery.add([1, 2, 3, 4], [7, 7, 8, 8], vectors)
    gallery.add([1, 2], [7, 7], vectors[:2])
    assert len(gallery) == 4 and gallery.person_count == 2
    assert gallery.remove([2, 3, 99]) == [2, 3]
    assert len(gallery) == 2 and 2 not in gallery and 1 in gallery
    ids, kept = gallery.vectors_of(7)
    assert ids == [1] and np.allclose(kept[0], vectors[0])


def test_large_gallery_switches_to_ivf_and_still_finds_and_removes() -> None:
    rng = np.random.default_rng(7)
    vectors = unit(rng, 3000)
    gallery = Gallery(128, exact_max=1000, nprobe=16)
    gallery.add(list(range(1, 1001)), [i // 2 for i in range(1000)], vectors[:1000])
    assert gallery.kind == "exact"
    gallery.add(list(range(1001, 3001)), [i // 2 for i in range(1000, 3000)], vectors[1000:])
    assert gallery.kind.startswith("ivf") and len(gallery) == 3000
    probes = vectors[::50] + 0.02 * unit(rng, 60)
    found = [gallery.nearest_people(p / np.linalg.norm(p), people=1)[0].template_id for p in probes]
    assert np.mean(np.asarray(found) == np.arange(1, 3001)[::50]) >= 0.95
    assert gallery.remove([1, 2999]) == [1, 2999] and len(gallery) == 2998
    assert all(m.template_id != 1 for m in gallery.nearest_people(vectors[0], people=5))
    ids, kept = gallery.vectors_of(1499)
    assert ids == [3000] and np.allclose(kept[0], vectors[2999])  # its other template was removed
    snap_ids, persons, snap_vectors = gallery.all_templates()
    assert len(snap_ids) == 2998 and np.allclose(snap_vectors[list(snap_ids).index(5)], vectors[4])


@pytest.fixture
def db(database_url: str) -> Database:
    upgrade_database(database_url)
    return Database(database_url)


def _enroll(session: Session, sync: GallerySync, name: str, vectors: np.ndarray, model_id: str = "m") -> Person:
    person = Person(name=name)
    templates = [FaceTemplate(person=person, vector=v.tobytes(), model_id=model_id, probability=1.0, face_px=100,
                              sharpness=1.0) for v in vectors]
    with index_transaction(session, sync) as tx:
        session.add(person)
        session.flush()
        tx.add([t.id for t in templates], [person.id] * len(templates), vectors)
    return person


def _delete(session: Session, sync: GallerySync, person_id: int) -> None:
    person = session.get(Person, person_id)
    with index_transaction(session, sync) as tx:
        ids = [t.id for t in person.templates]
        session.delete(person)
        session.flush()
        tx.remove(ids, [person_id] * len(ids))


def test_a_second_replica_follows_writes_of_the_first(db: Database) -> None:
    rng = np.random.default_rng(2)
    first, second = GallerySync(db, Gallery(128), "m"), GallerySync(db, Gallery(128), "m")
    first.rebuild()
    second.rebuild()
    with db.session() as session:
        alice = _enroll(session, first, "alice", unit(rng, 3))
        _enroll(session, first, "bob", unit(rng, 2))
    assert len(first.gallery) == 5 and len(second.gallery) == 0
    assert second.catch_up() == 5 and len(second.gallery) == 5
    with db.session() as session:
        _delete(session, first, alice.id)
    second.catch_up()
    assert len(second.gallery) == 2 and second.revision == first.revision == 8
    third = GallerySync(db, Gallery(128), "m")
    third.rebuild()
    assert len(third.gallery) == 2 and third.revision == 8


def test_a_failed_commit_leaves_no_vector_behind(db: Database) -> None:
    rng = np.random.default_rng(3)
    sync = GallerySync(db, Gallery(128), "m")
    with db.session() as session:
        _enroll(session, sync, "alice", unit(rng, 1))
        session.get(Person, 1).employee_id = "E-1"
        session.commit()
    with db.session() as session, pytest.raises(Exception):
        _enroll_clash(session, sync, unit(rng, 2))
    assert len(sync.gallery) == 1
    with db.session() as session:
        assert session.query(FaceTemplate).count() == 1


def _enroll_clash(session: Session, sync: GallerySync, vectors: np.ndarray) -> None:
    """Index the vectors, then fail at commit on a unique employee id."""
    person = Person(name="clash")
    templates = [FaceTemplate(person=person, vector=v.tobytes(), model_id="m", probability=1.0, face_px=100,
                              sharpness=1.0) for v in vectors]
    with index_transaction(session, sync) as tx:
        session.add(person)
        session.flush()
        tx.add([t.id for t in templates], [person.id] * len(templates), vectors)
        person.employee_id = "E-1"  # violates the unique constraint when flushed at commit


def test_an_index_failure_rolls_sql_back(db: Database) -> None:
    sync = GallerySync(db, Gallery(128), "m")
    wrong_size = np.ones((1, 64), np.float32)
    with db.session() as session, pytest.raises(Exception):
        _enroll(session, sync, "alice", wrong_size)
    with db.session() as session:
        assert session.query(Person).count() == 0 and session.query(FaceTemplate).count() == 0
    assert len(sync.gallery) == 0


def test_start_with_another_model_is_refused(db: Database) -> None:
    with db.session() as session:
        _enroll(session, GallerySync(db, Gallery(128), "old-model"), "alice", unit(np.random.default_rng(4), 1),
                model_id="old-model")
    with pytest.raises(ModelMismatch, match="old-model"):
        GallerySync(db, Gallery(128), "new-model").rebuild()


def test_ids_are_never_reused_after_deleting_the_newest(db: Database) -> None:
    """A template id is a FAISS id other replicas may still hold: a new template must get a new one."""
    rng = np.random.default_rng(5)
    sync = GallerySync(db, Gallery(128), "m")
    with db.session() as session:
        person = _enroll(session, sync, "alice", unit(rng, 2))
        old_ids = [t.id for t in person.templates]
        _delete(session, sync, person.id)
        newcomer = _enroll(session, sync, "bob", unit(rng, 1))
        assert newcomer.id > person.id and newcomer.templates[0].id > max(old_ids)


def test_follower_wakes_on_writes(db: Database) -> None:
    """PostgreSQL wakes followers by NOTIFY (so even a 30 s poll interval sees a write at once);
    elsewhere the poll interval bounds the lag."""
    interval = 30.0 if db.url.startswith("postgresql") else 0.2
    writer, follower = GallerySync(db, Gallery(128), "m"), GallerySync(db, Gallery(128), "m")
    follower.rebuild()
    follower.start(interval)
    try:
        time.sleep(0.5)  # the listener is connected
        with db.session() as session:
            _enroll(session, writer, "alice", unit(np.random.default_rng(6), 2))
        deadline = time.monotonic() + 2.0
        while len(follower.gallery) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(follower.gallery) == 2
    finally:
        follower.stop()


def _sql_templates(db: Database) -> set[int]:
    with db.session() as session:
        return set(session.scalars(select(FaceTemplate.id)))


def _indexed(gallery: Gallery) -> set[int]:
    return set(gallery.export()["template_ids"].tolist())


def test_restart_resumes_from_the_snapshot_and_replays_later_writes(db: Database, tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    snapshot = tmp_path / "gallery.npz"
    first = GallerySync(db, Gallery(128), "m")
    first.rebuild()
    with db.session() as session:
        _enroll(session, first, "alice", unit(rng, 3))
        bob = _enroll(session, first, "bob", unit(rng, 2))
    first.save(snapshot)
    with db.session() as session:  # written after the snapshot
        _enroll(session, first, "carol", unit(rng, 2))
        _delete(session, first, bob.id)
    restarted = GallerySync(db, Gallery(128), "m")
    assert restarted.load(snapshot) == "snapshot"
    assert _indexed(restarted.gallery) == _sql_templates(db) and len(restarted.gallery) == 5
    assert restarted.revision == first.revision
    probe = first.gallery.vectors_of(1)[1][0]
    assert restarted.gallery.nearest_people(probe, 1)[0].person_id == first.gallery.nearest_people(probe, 1)[0].person_id


def test_a_snapshot_in_doubt_is_ignored_for_sql(db: Database, tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    snapshot = tmp_path / "gallery.npz"
    sync = GallerySync(db, Gallery(128), "m")
    with db.session() as session:
        _enroll(session, sync, "alice", unit(rng, 2))
        _enroll(session, sync, "bob", unit(rng, 2))
    sync.save(snapshot)
    assert read_snapshot(snapshot, "m") is not None and read_snapshot(snapshot, "other-model") is None
    with db.session() as session:  # a row changed behind the change log (say, a hand-edited database)
        session.delete(session.get(FaceTemplate, 1))
        session.commit()
    fresh = GallerySync(db, Gallery(128), "m")
    assert fresh.load(snapshot) == "sql" and _indexed(fresh.gallery) == _sql_templates(db) == {2, 3, 4}
    snapshot.write_bytes(b"not a snapshot")
    assert GallerySync(db, Gallery(128), "m").load(snapshot) == "sql"


def test_a_snapshot_of_another_database_is_ignored(db: Database, other_database_url: str, tmp_path: Path) -> None:
    """A database restored from an older backup, or reset and refilled, must not inherit the index."""
    rng = np.random.default_rng(10)
    snapshot = tmp_path / "gallery.npz"
    sync = GallerySync(db, Gallery(128), "m")
    with db.session() as session:
        _enroll(session, sync, "alice", unit(rng, 2))
    sync.save(snapshot)
    upgrade_database(other_database_url)
    other = Database(other_database_url)
    older = GallerySync(other, Gallery(128), "m")
    assert older.load(snapshot) == "sql" and len(older.gallery) == 0
    with other.session() as session:  # same revision, same template ids, other faces
        _enroll(session, older, "bob", unit(rng, 2))
    refilled = GallerySync(other, Gallery(128), "m")
    assert refilled.load(snapshot) == "sql"
    bob_vector = older.gallery.vectors_of(1)[1][0]
    assert refilled.gallery.nearest_people(bob_vector, 1)[0].distance < 1e-3


def test_an_ivf_gallery_survives_export_and_restore() -> None:
    rng = np.random.default_rng(11)
    vectors = unit(rng, 3000)
    gallery = Gallery(128, exact_max=1000, nprobe=16)
    gallery.add(list(range(1, 3001)), [i // 3 for i in range(3000)], vectors)
    restored = Gallery(128, exact_max=1000, nprobe=16)
    restored.restore(gallery.export())
    assert restored.kind == gallery.kind and restored.fingerprint() == gallery.fingerprint()
    assert restored.nearest_people(vectors[1234], 1)[0].template_id == 1235
    assert restored.remove([1235]) == [1235] and restored.nearest_people(vectors[1234], 1)[0].template_id != 1235
