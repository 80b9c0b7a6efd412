"""Reason codes: every one has its HTTP status in app/core/reasons.py, and an unlisted one is refused."""
from __future__ import annotations

import pytest

from app.core.reasons import HTTP_STATUS, IMAGE_TOO_LARGE, NO_FACE, UNKNOWN_DOOR, DomainError
from app.face.errors import FaceRejected


def test_a_domain_error_answers_with_its_reasons_status() -> None:
    assert DomainError(UNKNOWN_DOOR, "door 7 does not exist", door=7).status == 404
    assert FaceRejected(IMAGE_TOO_LARGE, "too big").status == 413
    assert FaceRejected(NO_FACE, "no face").status == 422
    assert all(400 <= status < 500 for status in HTTP_STATUS.values())


def test_an_unlisted_reason_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="unregistered reason"):
        DomainError("made_up_reason", "nobody mapped this")
