"""Template sets by model: the set in force (active_model), switching to another set and back,
and deleting a set no longer in force.

Templates record the model that made them; re-embedding builds a second set beside the first
(each new template names the one it came from in `derived_from`). Doors use one set only: the
active model's. A switch is one UPDATE of one row, so every replica sees the old set or the new,
never a mix; replicas poll the row (app/gallery/sync.py) and reload.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.orm import Session, aliased

from app.core.db import utcnow
from app.core.reasons import IN_USE, MODEL_SET_INCOMPLETE, NO_PREVIOUS_MODEL, UNKNOWN_MODEL, DomainError
from app.gallery.models import ActiveModel, FaceTemplate
from app.gallery.sync import announce_change

ROW_ID = 1


def active_row(session: Session) -> ActiveModel | None:
    return session.get(ActiveModel, ROW_ID)


def model_in_force(session: Session, configured: str) -> str:
    """The switched-to model, or the configured one while no switch was ever made."""
    row = active_row(session)
    return row.model_id if row is not None else configured


def pin_model(session: Session, model_id: str) -> None:
    """Record `model_id` as the one in force if nothing is recorded yet (before a second set
    exists, so that which set the doors use never depends on a setting alone). Flushes only."""
    if active_row(session) is None:
        session.add(ActiveModel(id=ROW_ID, model_id=model_id, previous_model_id=None, switched_at=utcnow()))
        session.flush()


def set_sizes(session: Session) -> dict[str, int]:
    """Templates per model."""
    rows = session.execute(select(FaceTemplate.model_id, func.count()).group_by(FaceTemplate.model_id)).all()
    return {model: int(count) for model, count in rows}


def uncovered(source: str, target: str) -> Select:
    """Templates of `source` with no counterpart in `target`: none derived from them there, and
    not themselves derived from a `target` template that still exists."""
    other = aliased(FaceTemplate)
    derived_there = exists().where(other.model_id == target, other.derived_from == FaceTemplate.id)
    came_from_there = exists().where(other.model_id == target, other.id == FaceTemplate.derived_from)
    return select(FaceTemplate).where(FaceTemplate.model_id == source, ~derived_there, ~came_from_there)


@dataclass(frozen=True)
class Coverage:
    missing_templates: int  # in force, no counterpart in the target set
    people_without_templates: list[int]  # would have no template at all after a switch


def coverage(session: Session, source: str, target: str) -> Coverage:
    missing = session.scalar(select(func.count()).select_from(uncovered(source, target).subquery()))
    in_source = select(FaceTemplate.person_id).where(FaceTemplate.model_id == source).distinct()
    there = aliased(FaceTemplate)
    in_target = select(there.person_id).where(there.model_id == target)
    stranded = session.scalars(in_source.where(FaceTemplate.person_id.not_in(in_target))
                               .order_by(FaceTemplate.person_id)).all()
    return Coverage(int(missing or 0), list(stranded))


def switch_model(session: Session, target: str, configured: str, allow_missing: bool = False) -> ActiveModel:
    """Put `target`'s set in force, in one transaction; refused while templates in force have no
    counterpart there (unless `allow_missing`: those people then need a new photo)."""
    current = model_in_force(session, configured)
    if target == current:
        raise DomainError(IN_USE, f"{target} is already the model in force")
    if not session.scalar(select(func.count()).where(FaceTemplate.model_id == target)):
        raise DomainError(UNKNOWN_MODEL, f"no templates of {target}: run `facegate models reembed --model {target}`")
    gap = coverage(session, current, target)
    if (gap.missing_templates or gap.people_without_templates) and not allow_missing:
        raise DomainError(MODEL_SET_INCOMPLETE,
                          f"{gap.missing_templates} templates in force have no counterpart in {target} and "
                          f"{len(gap.people_without_templates)} people would have no template: run "
                          f"`facegate models reembed --model {target}` again (or pass --allow-missing)",
                          missing_templates=gap.missing_templates, people=gap.people_without_templates)
    row = session.get(ActiveModel, ROW_ID, with_for_update=True)
    if row is None:
        row = ActiveModel(id=ROW_ID)
        session.add(row)
    row.model_id, row.previous_model_id, row.switched_at = target, current, utcnow()
    announce_change(session)
    session.commit()
    return row


def rollback_model(session: Session, configured: str, allow_missing: bool = False) -> ActiveModel:
    """Switch back to the model in force before the last switch (its set is kept until pruned)."""
    row = active_row(session)
    if row is None or not row.previous_model_id:
        raise DomainError(NO_PREVIOUS_MODEL, "no switch to roll back")
    return switch_model(session, row.previous_model_id, configured, allow_missing)


def prune_model(session: Session, model_id: str, configured: str) -> int:
    """Delete every template of a model not in force; returns how many. Its vectors were never in
    an index (doors load the set in force only), so SQL alone changes."""
    if model_id == model_in_force(session, configured):
        raise DomainError(IN_USE, f"{model_id} is the model in force: switch to another first")
    deleted = session.execute(delete(FaceTemplate).where(FaceTemplate.model_id == model_id)).rowcount
    if not deleted:
        raise DomainError(UNKNOWN_MODEL, f"no templates of {model_id}")
    row = active_row(session)
    if row is not None and row.previous_model_id == model_id:
        row.previous_model_id = None  # nothing left to roll back to
    session.commit()
    return int(deleted)
