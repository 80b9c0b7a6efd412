"""Backup and restore of the whole database as one portable file (SQLite <-> PostgreSQL).

The FAISS index is not backed up: it is rebuilt from the templates at start (restore
deletes the local index snapshot). The file
records the model id the templates were made with, which the restored service must load.
"""
from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, LargeBinary, func, insert, select, text

from app.core.db import Database, utcnow
from app.core.metadata import metadata
from app.people.models import FaceTemplate

FORMAT = "facegate-backup"
VERSION = 1


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def backup(db: Database, out: Path) -> dict:
    """Write every table's rows, in dependency order, to a gzipped JSON-lines file."""
    with db.engine.connect() as conn, gzip.open(out, "wt", encoding="utf-8") as f:
        models = conn.execute(select(FaceTemplate.model_id).distinct()).scalars().all()
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        manifest = {"format": FORMAT, "version": VERSION, "schema_revision": revision, "model_ids": sorted(models),
                    "created_at": utcnow().isoformat(), "counts": {}}
        lines = []
        for table in metadata.sorted_tables:
            rows = conn.execute(select(table)).mappings().all()
            manifest["counts"][table.name] = len(rows)
            lines += [json.dumps({"table": table.name, "row": {k: _encode(v) for k, v in row.items()}})
                      for row in rows]
        f.write(json.dumps(manifest) + "\n")
        for line in lines:
            f.write(line + "\n")
    return manifest


def _decode(table, row: dict) -> dict:  # noqa: ANN001
    out = {}
    for name, value in row.items():
        column = table.c[name]
        if isinstance(value, dict) and "b64" in value:
            value = base64.b64decode(value["b64"])
        elif value is not None and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(column.type, LargeBinary):
            raise ValueError(f"{table.name}.{name}: binary value not encoded")
        out[name] = value
    return out


def restore(db: Database, source: Path) -> dict:
    """Load a backup into an empty, migrated database; keep ids, and move id sequences past them."""
    with gzip.open(source, "rt", encoding="utf-8") as f:
        manifest = json.loads(f.readline())
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise ValueError(f"{source} is not a facegate backup of version {VERSION}")
        rows: dict[str, list[dict]] = {t.name: [] for t in metadata.sorted_tables}
        for line in f:
            entry = json.loads(line)
            rows[entry["table"]].append(entry["row"])
    with db.engine.begin() as conn:
        for table in metadata.sorted_tables:
            if conn.execute(select(func.count()).select_from(table)).scalar():
                raise ValueError(f"table {table.name} is not empty: restore needs a fresh database")
        for table in metadata.sorted_tables:
            if rows[table.name]:
                conn.execute(insert(table), [_decode(table, r) for r in rows[table.name]])
        if conn.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                (key,) = table.primary_key.columns
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key.name}'), "
                                  f"GREATEST((SELECT MAX({key.name}) FROM {table.name}), 1))"))
    return manifest
