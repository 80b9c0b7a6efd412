"""Every machine-readable reason the API can answer with, and its HTTP status, in one place.

Services raise DomainError(reason, message); one handler (app/core/errors.py) turns it into
{"detail": {"reason": ..., "message": ...}} with the status listed here. Lower layers (face,
gallery, the domains) never build HTTP errors themselves.
"""
from __future__ import annotations

from typing import Any

# Authentication and authorisation
UNAUTHENTICATED = "unauthenticated"
INVALID_KEY = "invalid_key"
FORBIDDEN = "forbidden"
WRONG_DOOR = "wrong_door"
TOO_MANY_ATTEMPTS = "too_many_attempts"
DOOR_REQUIRED = "door_required"  # a terminal key not bound to a door, an admin naming none
SESSION_EXPIRED = "session_expired"
CSRF_FAILED = "csrf_failed"
# Photos (app/face)
NOT_AN_IMAGE = "not_an_image"
IMAGE_TOO_LARGE = "image_too_large"
NO_FACE = "no_face"
MULTIPLE_FACES = "multiple_faces"
FACE_TOO_SMALL = "face_too_small"
FACE_TOO_BLURRY = "face_too_blurry"
# Requests
INVALID_REQUEST = "invalid_request"
IMAGE_COUNT = "image_count"
NO_USABLE_FACE = "no_usable_face"
INCONSISTENT_FACE = "inconsistent_face"  # photos of one enrolment (or an added face) disagree
INVALID_NAME = "invalid_name"
INVALID_THRESHOLD = "invalid_threshold"
OUTSIDE_MEASURED_RANGE = "outside_measured_range"  # a threshold the model card has no measurement for, unconfirmed
NOT_ENOUGH_DATA = "not_enough_data"
# Access rights (app/rights)
INVALID_TIME_ZONE = "invalid_time_zone"
INVALID_WINDOW = "invalid_window"
OVERLAPPING_WINDOWS = "overlapping_windows"
INVALID_REFERENCE = "invalid_reference"  # a grant, member or area naming a door/group/schedule/person that does not exist
DOOR_NEEDS_TERMINAL = "door_needs_terminal"
# Things that do not exist
UNKNOWN_PERSON = "unknown_person"
UNKNOWN_TEMPLATE = "unknown_template"
UNKNOWN_DOOR = "unknown_door"
UNKNOWN_EVENT = "unknown_event"
UNKNOWN_RIGHTS_OBJECT = "unknown_rights_object"  # a group, schedule, grant or area
UNKNOWN_KEY = "unknown_key"
NO_EXPLANATION = "no_explanation"
EXPLANATIONS_UNAVAILABLE = "explanations_unavailable"
# Conflicts
DUPLICATE_PERSON = "duplicate_person"
EMPLOYEE_ID_TAKEN = "employee_id_taken"
BADGE_ID_TAKEN = "badge_id_taken"
VALUE_TAKEN = "value_taken"
DOOR_NAME_TAKEN = "door_name_taken"
NAME_TAKEN = "name_taken"
IN_USE = "in_use"
# The request's edge (app/core/edge.py, app/core/errors.py)
REQUEST_TOO_LARGE = "request_too_large"  # the body passes the route's cap
BAD_REQUEST = "bad_request"  # a request HTTP itself cannot make sense of
NOT_FOUND = "not_found"  # no such route
METHOD_NOT_ALLOWED = "method_not_allowed"
IMAGE_TOO_SMALL = "image_too_small"  # smaller than any face the detector can find
# A fault of ours, never of the request: no DomainError carries it (every reason above is a 4xx);
# the catch-all in app/core/errors.py answers it with 500, and a failed verification is audited with it.
INTERNAL_ERROR = "internal_error"
# Model upgrades (app/gallery/model_sets.py, app/people/reembed.py)
UNKNOWN_MODEL = "unknown_model"  # no model card of that id (or path)
MODEL_SET_INCOMPLETE = "model_set_incomplete"  # templates in force that the new set lacks: reembed again
NO_PREVIOUS_MODEL = "no_previous_model"  # rollback with nothing switched from
MODEL_SWITCHED = "model_switched"  # the model in force changed while the photos were analysed: send again

HTTP_STATUS: dict[str, int] = {
    UNAUTHENTICATED: 401, INVALID_KEY: 401, FORBIDDEN: 403, WRONG_DOOR: 403, DOOR_REQUIRED: 403, TOO_MANY_ATTEMPTS: 429,
    SESSION_EXPIRED: 401, CSRF_FAILED: 403,
    NOT_AN_IMAGE: 422, IMAGE_TOO_LARGE: 413, NO_FACE: 422, MULTIPLE_FACES: 422, FACE_TOO_SMALL: 422,
    FACE_TOO_BLURRY: 422,
    INVALID_REQUEST: 422, IMAGE_COUNT: 422, NO_USABLE_FACE: 422, INCONSISTENT_FACE: 422, INVALID_NAME: 422, INVALID_THRESHOLD: 422, OUTSIDE_MEASURED_RANGE: 422,
    NOT_ENOUGH_DATA: 422, DOOR_NEEDS_TERMINAL: 422,
    INVALID_TIME_ZONE: 422, INVALID_WINDOW: 422, OVERLAPPING_WINDOWS: 422, INVALID_REFERENCE: 422,
    UNKNOWN_PERSON: 404, UNKNOWN_TEMPLATE: 404, UNKNOWN_DOOR: 404, UNKNOWN_EVENT: 404, UNKNOWN_RIGHTS_OBJECT: 404,
    UNKNOWN_KEY: 404, NO_EXPLANATION: 404, EXPLANATIONS_UNAVAILABLE: 409,
    DUPLICATE_PERSON: 409, EMPLOYEE_ID_TAKEN: 409, BADGE_ID_TAKEN: 409, VALUE_TAKEN: 409, DOOR_NAME_TAKEN: 409, NAME_TAKEN: 409, IN_USE: 409,
    REQUEST_TOO_LARGE: 413, BAD_REQUEST: 400, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, IMAGE_TOO_SMALL: 422,
    UNKNOWN_MODEL: 404, MODEL_SET_INCOMPLETE: 409, NO_PREVIOUS_MODEL: 409, MODEL_SWITCHED: 409,
}


class DomainError(Exception):
    """A request that cannot be done, with a stable `reason` code and a `message` for people;
    `extra` adds machine-readable context (e.g. the audit event id)."""

    def __init__(self, reason: str, message: str, **extra: Any) -> None:
        if reason not in HTTP_STATUS:
            raise ValueError(f"unregistered reason {reason!r}: add it to app/core/reasons.py")
        super().__init__(message)
        self.reason, self.message, self.extra = reason, message, extra

    @property
    def status(self) -> int:
        return HTTP_STATUS[self.reason]
