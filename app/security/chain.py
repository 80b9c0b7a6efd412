"""The tamper-evident audit: rows of chained tables carry an HMAC over their content and the
previous row's HMAC, under the server secret, so a database writer can neither edit, delete nor
insert a row without `verify` naming it.

A model opts in with `__chain__ = ChainSpec(...)` and the `Chained` columns. A session hook seals
the chained rows a transaction adds, in that transaction, after locking the table's head row
(`audit_chain_head`): a row lock on PostgreSQL; on SQLite the flush already holds the write lock.
Names are covered through a separate HMAC (`names_mac`), so that pseudonymising them later keeps
the chain verifiable; a pseudonymised name must be exactly `pseudonym(id)`.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Boolean, Integer, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from app.core.db import Base
from app.security.secret import ServerSecret

PENDING = "audit_chain_pending"  # session.info: chained rows inserted and not yet sealed


@dataclass(frozen=True)
class ChainSpec:
    fields: tuple[str, ...]  # columns the row HMAC covers (label-like columns that may change are left out)
    names: tuple[tuple[str, str], ...] = ()  # (name column, id column) pairs covered by names_mac
    time_field: str = "created_at"


class Chained:
    chain_seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    chain_mac: Mapped[str | None] = mapped_column(String(64))
    names_mac: Mapped[str | None] = mapped_column(String(64))


class ChainHead(Base):
    """One row per chained table: the last sealed row, and where a purge left the chain's start."""

    __tablename__ = "audit_chain_head"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    mac: Mapped[str] = mapped_column(String(64), default="")
    start_seq: Mapped[int] = mapped_column(Integer, default=0)
    start_mac: Mapped[str] = mapped_column(String(64), default="")
    legacy_sealed: Mapped[bool] = mapped_column(Boolean, default=False)


def pseudonym(person_id: int | None) -> str:
    return f"erased person {person_id}"


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    return value


def chained_models() -> list[type]:
    """Every mapped class that declares a chain (the models must have been imported)."""
    return sorted((m.class_ for m in Base.registry.mappers if getattr(m.class_, "__chain__", None)),
                  key=lambda c: c.__tablename__)


class AuditChain:
    def __init__(self, secret: ServerSecret) -> None:
        self.secret = secret

    def names_mac(self, model: type, row: Any) -> str | None:
        spec: ChainSpec = model.__chain__
        if not spec.names:
            return None
        names = [getattr(row, name) for name, _ in spec.names]
        return self.secret.mac(f"names:{model.__tablename__}", json.dumps(names).encode())

    def row_mac(self, model: type, row: Any, seq: int, previous: str) -> str:
        spec: ChainSpec = model.__chain__
        values = [_canonical(getattr(row, f)) for f in ("id", *spec.fields)]
        payload = json.dumps([model.__tablename__, seq, previous, values, row.names_mac], separators=(",", ":"))
        return self.secret.mac("chain", payload.encode())

    def _head(self, session: Session, model: type) -> ChainHead:
        head = session.get(ChainHead, model.__tablename__, with_for_update=True, populate_existing=True)
        if head is None:
            raise RuntimeError(f"no chain head for {model.__tablename__}: run `facegate migrate`")
        return head

    def _seal(self, session: Session, head: ChainHead, model: type, rows: list[Any]) -> None:
        for row in sorted(rows, key=lambda r: r.id):
            row.names_mac = self.names_mac(model, row)
            head.seq += 1
            row.chain_seq = head.seq
            row.chain_mac = head.mac = self.row_mac(model, row, head.seq, head.mac)

    def install(self, sessions: sessionmaker) -> None:
        """Seal every chained row a session adds, in the transaction that adds it."""

        @event.listens_for(sessions, "after_flush")
        def _note_new(session: Session, _context: Any) -> None:
            for obj in session.new:  # still the pre-flush state here: the rows just inserted
                if getattr(type(obj), "__chain__", None) is not None:
                    session.info.setdefault(PENDING, {}).setdefault(type(obj), []).append(obj)

        @event.listens_for(sessions, "after_rollback")
        def _forget(session: Session) -> None:
            session.info.pop(PENDING, None)

        @event.listens_for(sessions, "before_commit")
        def _seal_new(session: Session) -> None:
            session.flush()
            pending: dict[type, list[Any]] = session.info.pop(PENDING, {})
            for model in sorted(pending, key=lambda c: c.__tablename__):  # one lock order: no deadlock
                self._seal(session, self._head(session, model), model, pending[model])
            session.flush()

    def seal_legacy(self, session: Session) -> int:
        """Once per table: chain the rows written before the chain existed. Returns how many."""
        sealed = 0
        for model in chained_models():
            head = self._head(session, model)
            if not head.legacy_sealed:
                rows = list(session.scalars(select(model).where(model.chain_seq.is_(None)).order_by(model.id)))
                self._seal(session, head, model, rows)
                head.legacy_sealed = True
                sealed += len(rows)
        session.commit()
        return sealed

    def verify(self, session: Session, release: bool = True) -> dict:
        """Walk every chain; the first broken link per table, or ok. `release`: end the read
        transaction afterwards (not when verifying inside someone else's transaction)."""
        tables = {m.__tablename__: self._verify_table(session, m) for m in chained_models()}
        if release:
            session.rollback()
        broken = {name: result for name, result in tables.items() if result.get("problem")}
        return {"ok": not broken, "tables": tables}

    def _verify_table(self, session: Session, model: type) -> dict:
        head = session.get(ChainHead, model.__tablename__, populate_existing=True)
        if head is None:
            return {"problem": "missing_head", "message": f"the chain head of {model.__tablename__} is missing"}
        stray = session.scalar(select(model.id).where(model.chain_seq.is_(None)).order_by(model.id).limit(1))
        if stray is not None and head.legacy_sealed:
            return _broken("inserted", stray, None, f"{model.__tablename__} row {stray} was not written by facegate")
        seq, mac, count = head.start_seq, head.start_mac, 0
        for row in _rows_in_chain(session, model, head.start_seq, head.seq):  # rows appended since: not yet
            if row.chain_seq != seq + 1:
                return _broken("deleted", row.id, row.chain_seq,
                               f"{model.__tablename__} rows {seq + 1}..{row.chain_seq - 1} of the chain are "
                               f"missing before row {row.id}")
            if row.chain_mac != self.row_mac(model, row, row.chain_seq, mac) or not self._names_ok(model, row):
                return _broken("edited", row.id, row.chain_seq, f"{model.__tablename__} row {row.id} was changed")
            seq, mac, count = row.chain_seq, row.chain_mac, count + 1
        if (seq, mac) != (head.seq, head.mac):
            return _broken("deleted", None, seq + 1, f"the last {head.seq - seq} {model.__tablename__} rows "
                                                     "of the chain are missing" if head.seq > seq
                           else f"the chain head of {model.__tablename__} does not match its last row")
        # An outside copy of (last_seq, last_mac) also catches a cut tail with a rewritten head.
        return {"rows": count, "first_seq": head.start_seq + 1, "last_seq": seq, "last_mac": mac}

    def _names_ok(self, model: type, row: Any) -> bool:
        spec: ChainSpec = model.__chain__
        if not spec.names:
            return row.names_mac is None
        if all(getattr(row, name) in (None, pseudonym(getattr(row, pid))) for name, pid in spec.names):
            return True  # pseudonymised (or nameless): nothing left to protect
        return row.names_mac == self.names_mac(model, row)


def _broken(problem: str, row_id: int | None, seq: int | None, message: str) -> dict:
    return {"problem": problem, "row_id": row_id, "seq": seq, "message": message}


def _rows_in_chain(session: Session, model: type, after: int, upto: int, batch: int = 1000) -> Iterator[Any]:
    """Sealed rows in (after, upto] in chain order, a batch at a time (the trail may be long)."""
    while True:
        rows = session.scalars(select(model).where(model.chain_seq > after, model.chain_seq <= upto)
                               .order_by(model.chain_seq)
                               .limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].chain_seq
        session.expunge_all()
