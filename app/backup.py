"""Backup and restore of the whole database as one portable file (SQLite <-> PostgreSQL).

The FAISS index is not backed up: it is rebuilt from the templates at start (restore
deletes the local index snapshot). The file
records the model id the templates were made with, which the restored service must load.
Rows are streamed both ways (each template carries its aligned crop, ~30 KB: a large
gallery does not fit in memory), and the backup reads one consistent snapshot.

The file is encrypted as a whole under the current data key (app/security/stream.py: a cut or
altered file is refused), and carries the audit chain: restore verifies it before committing.
The server secret and the data keys are not in it; a restoring site needs both files.
"""
from __future__ import annotations

import base64
import gzip
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, DateTime, Integer, LargeBinary, Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from app.core.db import Database, utcnow
from app.gallery.models import FaceTemplate
from app.security.chain import AuditChain, ChainHead
from app.security.crypto import DataKeys
from app.security.stream import DecryptingReader, EncryptingWriter
from app.tables import SEEDED_TABLES, metadata

FORMAT = "facegate-backup"
VERSION = 2  # 2: encrypted, with the audit chain
CHUNK_ROWS = 500  # rows read or inserted at once


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _consistent_read(conn: Connection) -> Connection:
    """One snapshot for every table, so rows written meanwhile cannot break references."""
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        conn.begin()
    else:  # the SQLite driver only opens a transaction before writes; a reader asks for one
        conn.exec_driver_sql("BEGIN")
    return conn


def backup(db: Database, out: Path, keys: DataKeys) -> dict:
    """Write every table's rows, in dependency order, to an encrypted, gzipped JSON-lines file."""
    with db.engine.connect() as conn, open(out, "wb") as raw, EncryptingWriter(raw, keys) as sealed, \
            gzip.GzipFile(fileobj=sealed, mode="wb") as zipped, io.TextIOWrapper(zipped, encoding="utf-8") as f:
        conn = _consistent_read(conn)
        models = conn.execute(select(FaceTemplate.model_id).distinct()).scalars().all()
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in metadata.sorted_tables}
        manifest = {"format": FORMAT, "version": VERSION, "schema_revision": revision, "model_ids": sorted(models),
                    "created_at": utcnow().isoformat(), "counts": counts}
        f.write(json.dumps(manifest) + "\n")
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table).execution_options(yield_per=CHUNK_ROWS)).mappings():
                f.write(json.dumps({"table": table.name, "row": {k: _encode(v) for k, v in row.items()}}) + "\n")
        conn.rollback()
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


def _backup_rows(f: TextIO) -> Iterator[tuple[Table, list[dict]]]:
    """The rows after the manifest, a table's chunk at a time, in file (dependency) order."""
    table, chunk = None, []
    for line in f:
        entry = json.loads(line)
        if entry["table"] not in metadata.tables:
            raise ValueError(f"unknown table {entry['table']!r} in the backup")
        if chunk and (entry["table"] != table.name or len(chunk) >= CHUNK_ROWS):
            yield table, chunk
            chunk = []
        table = metadata.tables[entry["table"]]
        chunk.append(_decode(table, entry["row"]))
    if chunk:
        yield table, chunk


def restore(db: Database, source: Path, keys: DataKeys, chain: AuditChain) -> dict:
    """Load a backup into an empty, migrated database, all or nothing; keep ids, and move id
    sequences past them. A file with fewer or more rows than its manifest counts, or whose audit
    chain does not verify under this server's secret, is refused."""
    with open(source, "rb") as raw, io.BufferedReader(DecryptingReader(raw, keys)) as plain, \
            gzip.GzipFile(fileobj=plain, mode="rb") as zipped, io.TextIOWrapper(zipped, encoding="utf-8") as f, \
            db.engine.begin() as conn:
        manifest = json.loads(f.readline())
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise ValueError(f"{source} is not a facegate backup of version {VERSION}")
        conn.execute(ChainHead.__table__.delete().where(ChainHead.seq == 0))  # fresh heads; the backup has its own
        for table in metadata.sorted_tables:
            if table.name not in SEEDED_TABLES and conn.execute(select(func.count()).select_from(table)).scalar():
                raise ValueError(f"table {table.name} is not empty: restore needs a fresh database")
        for name in SEEDED_TABLES:
            conn.execute(delete(metadata.tables[name]))
        restored = dict.fromkeys(manifest["counts"], 0)
        for table, rows in _backup_rows(f):
            conn.execute(insert(table), rows)
            restored[table.name] = restored.get(table.name, 0) + len(rows)
        if restored != manifest["counts"]:
            raise ValueError(f"{source} is incomplete: rows {restored}, manifest {manifest['counts']}")
        with Session(bind=conn) as session:
            audit = chain.verify(session, release=False)
        if not audit["ok"]:
            raise ValueError(f"{source}: the audit chain does not verify: {_first_problem(audit)}")
        if conn.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                if len(table.primary_key.columns) != 1:
                    continue  # no sequence behind a composite key
                (key,) = table.primary_key.columns
                if not isinstance(key.type, Integer):  # a named row (the chain heads): no sequence
                    continue
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key.name}'), "
                                  f"GREATEST((SELECT MAX({key.name}) FROM {table.name}), 1))"))
    return manifest


def _first_problem(audit: dict) -> str:
    return next(t["message"] for t in audit["tables"].values() if t.get("problem"))
