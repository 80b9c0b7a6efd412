"""The index on disk, so a restart need not re-read and re-index every vector from SQL.

A snapshot records the change-log revision it reflects and the model that made its
vectors. Start-up loads it and replays the change log from that revision (the same
catch-up replicas use); GallerySync then checks the result against SQL and rebuilds from
SQL on any doubt, so a stale or foreign snapshot can cost time but never a decision.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

FORMAT = 2


@dataclass
class Snapshot:
    revision: int
    revision_written_at: str  # when that change was written: tells this database from another at the same revision
    model_id: str
    arrays: dict[str, np.ndarray]  # Gallery.export()


def write_snapshot(path: Path, snapshot: Snapshot) -> None:
    """Write atomically: a crash mid-write leaves the previous snapshot, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as out:
        np.savez(out, format=np.int64(FORMAT), revision=np.int64(snapshot.revision),
                 revision_written_at=np.str_(snapshot.revision_written_at), model_id=np.str_(snapshot.model_id),
                 **snapshot.arrays)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)


def read_snapshot(path: Path, model_id: str) -> Snapshot | None:
    """The snapshot at `path` if it exists, is readable and was made by `model_id`."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) != FORMAT or str(data["model_id"]) != model_id:
                log.warning("index snapshot is for another model or format; ignoring it", extra={"path": str(path)})
                return None
            arrays = {k: data[k] for k in ("index", "template_ids", "person_ids", "trained_size")}
            return Snapshot(int(data["revision"]), str(data["revision_written_at"]), model_id, arrays)
    except Exception:  # noqa: BLE001 - a damaged snapshot only means a full rebuild
        log.warning("index snapshot unreadable; rebuilding from SQL", extra={"path": str(path)}, exc_info=True)
        return None
