"""A person's text fields, checked the same way on enrolment (POST) and edit (PATCH).

The lengths are the SQL columns' own, so what is accepted always fits (PostgreSQL would refuse a
longer value with a 5xx); names are trimmed, and empty, blank or control-character names refused.
"""
from __future__ import annotations

import unicodedata

from app.core.reasons import INVALID_NAME, INVALID_REQUEST, DomainError
from app.people.models import Person

TEXT_FIELDS = ("name", "employee_id", "badge_id")
MAX_LENGTH: dict[str, int] = {field: Person.__table__.c[field].type.length for field in TEXT_FIELDS}


def clean_text(field: str, value: str | None) -> str | None:
    """`value` trimmed, or None for an empty badge or employee id; a DomainError when it cannot be kept."""
    if value is None:
        return None
    reason = INVALID_NAME if field == "name" else INVALID_REQUEST
    text = value.strip()
    if field == "name" and not text:
        raise DomainError(reason, "the name is empty or only spaces")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise DomainError(reason, f"{field} contains control characters (such as a line break or NUL)")
    if len(text) > MAX_LENGTH[field]:
        raise DomainError(reason, f"{field} has {len(text)} characters; at most {MAX_LENGTH[field]} are allowed")
    return text or None
