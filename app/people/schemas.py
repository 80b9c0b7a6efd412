"""People API shapes."""
from __future__ import annotations


from pydantic import BaseModel, ConfigDict, model_serializer

from app.core.schemas import RequestModel, UtcDatetime


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    model_id: str
    probability: float
    face_px: float
    sharpness: float
    source_filename: str | None
    created_at: UtcDatetime


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    employee_id: str | None
    badge_id: str | None
    active: bool
    valid_from: UtcDatetime | None
    valid_until: UtcDatetime | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    templates: list[TemplateOut]


class FileRejection(BaseModel):
    filename: str
    reason: str
    message: str
    resembles: dict | None = None  # inconsistent_face: the enrolled person it looks like, if anyone

    @model_serializer(mode="wrap")
    def _only_when_known(self, handler):  # other reasons answer as before: filename, reason, message
        data = handler(self)
        if data.get("resembles") is None:
            data.pop("resembles", None)
        return data


class EnrollmentOut(BaseModel):
    person: PersonOut
    added_templates: list[int]
    rejected: list[FileRejection]


class PersonPage(BaseModel):
    items: list[PersonOut]
    total: int
    offset: int
    limit: int


class PersonPatch(RequestModel):
    name: str | None = None
    badge_id: str | None = None
    employee_id: str | None = None
    active: bool | None = None
    valid_from: UtcDatetime | None = None  # access rights start; null: from enrolment
    valid_until: UtcDatetime | None = None  # and end; null: open-ended
