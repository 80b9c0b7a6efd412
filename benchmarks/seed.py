"""Fill a database with synthetic templates quickly (benchmarks only: real enrolment goes through the API)."""
from __future__ import annotations

import numpy as np
from sqlalchemy import insert

from app.core.db import Database
from app.gallery.models import FaceTemplate
from app.people.models import Person


def insert_synthetic_templates(db: Database, vectors: np.ndarray, persons: np.ndarray, model_id: str) -> None:
    """One person row per distinct label, one template per vector, in large batches."""
    ids = {p: i + 1 for i, p in enumerate(np.unique(persons))}
    with db.engine.begin() as conn:
        conn.execute(insert(Person), [{"id": i, "name": f"synthetic {i}", "active": True} for i in ids.values()])
        for start in range(0, len(vectors), 50_000):
            conn.execute(insert(FaceTemplate), [
                {"id": start + j + 1, "person_id": ids[persons[start + j]], "vector": v.tobytes(),
                 "model_id": model_id, "probability": 1.0, "face_px": 100.0, "sharpness": 1.0}
                for j, v in enumerate(vectors[start:start + 50_000])])
