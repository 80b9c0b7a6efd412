"""Bring a table's sealed columns under the current data key: seal what is still plain (at start)
or re-encrypt what an older key sealed (rotation), a batch at a time, so it can be interrupted
and run again. Template crops and the probe crops kept with events both use it."""
from __future__ import annotations

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.security.crypto import DataKeys, is_sealed

BATCH = 200


def _resealed(keys: DataKeys, stored: bytes | None, purpose: bytes, only_plain: bool) -> bytes | None:
    """The value sealed under the current key, or None when it needs no change."""
    if stored is None:
        return None
    if not is_sealed(stored):
        return keys.seal(stored, purpose)
    if not only_plain and keys.key_of(stored) != keys.current:
        return keys.seal(keys.open(stored, purpose), purpose)
    return None


def reseal_columns(session: Session, keys: DataKeys, purposes: dict[InstrumentedAttribute, bytes],
                   only_plain: bool) -> int:
    """Seal plain values (only_plain) or re-encrypt every value not under the current key, each
    column under its purpose (columns of one table); returns how many rows changed. The table's
    single-column primary key orders the batches."""
    model = next(iter(purposes)).class_
    (key_column,) = inspect(model).primary_key
    changed, after = 0, None
    while True:
        query = select(model).where(or_(*[c.is_not(None) for c in purposes])).order_by(key_column).limit(BATCH)
        rows = session.scalars(query if after is None else query.where(key_column > after)).all()
        if not rows:
            return changed
        for row in rows:
            touched = False
            for column, purpose in purposes.items():
                value = _resealed(keys, getattr(row, column.key), purpose, only_plain)
                if value is not None:
                    setattr(row, column.key, value)
                    touched = True
            changed += touched
        session.commit()
        after = getattr(rows[-1], key_column.key)
