"""How long the audit keeps what: events older than the retention are purged (the chain head
moves its start to the last purged row, so what remains still verifies), and names in events
older than the erase period become pseudonyms (the chain covers names separately for this)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from app.security.chain import AuditChain, ChainHead, pseudonym


def purge_before(session: Session, chain: AuditChain, model: type, cutoff: datetime) -> int:
    """Delete the chain's rows up to the newest one written before `cutoff`; returns how many."""
    head = session.get(ChainHead, model.__tablename__, with_for_update=True, populate_existing=True)
    time_column = getattr(model, model.__chain__.time_field)
    last = session.scalar(select(func.max(model.chain_seq)).where(time_column < cutoff))
    if head is None or last is None or last <= head.start_seq:
        session.rollback()
        return 0
    head.start_mac = session.scalar(select(model.chain_mac).where(model.chain_seq == last))
    head.start_seq = last
    purged = select(model.id).where(model.chain_seq <= last)
    for table in model.metadata.sorted_tables:  # rows that hang off the purged ones (an event's crop) go too
        for fk in table.foreign_keys:
            if fk.column.table is model.__table__ and fk.parent.table is not model.__table__:
                session.execute(delete(table).where(fk.parent.in_(purged)))
    deleted = session.execute(delete(model).where(model.chain_seq <= last)).rowcount
    session.commit()
    return int(deleted or 0)


def pseudonymise_before(session: Session, model: type, cutoff: datetime, batch: int = 500) -> int:
    """Replace the names in rows written before `cutoff` by `pseudonym(id)`; returns rows changed."""
    spec = model.__chain__
    if not spec.names:
        return 0
    prefix = pseudonym(0)[:-1]
    named = or_(*[getattr(model, name).is_not(None) & getattr(model, name).not_like(f"{prefix}%")
                  for name, _ in spec.names])
    changed = 0
    while True:
        rows = session.scalars(select(model).where(getattr(model, spec.time_field) < cutoff, named)
                               .order_by(model.id).limit(batch)).all()
        if not rows:
            return changed
        for row in rows:
            for name, id_field in spec.names:
                if getattr(row, name) is not None:
                    setattr(row, name, pseudonym(getattr(row, id_field)))
        session.commit()
        changed += len(rows)
