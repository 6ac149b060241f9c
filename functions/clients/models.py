"""Request and response models of clients_api: clients, catalogue, courses, logs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, RootModel, model_validator

from shared.messaging.models import E164_PATTERN

ID = r"^[A-Za-z0-9_-]{1,128}$"
SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
Text = Annotated[str, Field(max_length=5000)]


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Profile(Strict):
    """Master data (stamdata)."""

    name: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    gender: Gender = Gender.UNKNOWN
    institution: str | None = Field(default=None, max_length=200)
    notes: Text | None = None

    @model_validator(mode="after")
    def _not_born_tomorrow(self) -> Self:
        if self.birth_date is not None and self.birth_date > date.today():
            raise ValueError("birth_date is in the future")
        return self


class ContactPerson(Strict):
    name: str = Field(min_length=1, max_length=200)
    relation: str = Field(min_length=1, max_length=100, description="e.g. mor, far, værge")
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern)


class Consent(Strict):
    """The written consent: who gave it, when, and to what."""

    given_by: str = Field(min_length=1, max_length=200)
    given_at: date
    scope: str = Field(min_length=1, max_length=1000)


class ClientCreate(Strict):
    profile: Profile
    contacts: list[ContactPerson] = Field(default=[], max_length=100)
    consent: Consent | None = None


class ClientUpdate(Strict):
    profile: Profile | None = None
    contacts: list[ContactPerson] | None = Field(default=None, max_length=100)
    consent: Consent | None = Field(default=None, description="null withdraws the consent")

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one of profile, contacts, consent")
        for name in ("profile", "contacts"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed")
        return self


class CourseSummary(BaseModel):
    id: str
    course_id: str
    title: str
    status: Literal["ongoing", "completed"]
    assigned_at: datetime
    done: int
    total: int


class Client(BaseModel):
    id: str
    profile: Profile
    contacts: list[ContactPerson]
    consent: Consent | None
    pseudonymised: bool
    created_at: datetime
    updated_at: datetime
    courses: list[CourseSummary] = []


class ClientSummary(BaseModel):
    """What the list shows: enough to pick a client, not their record (that read is audited)."""

    id: str
    name: str
    pseudonymised: bool
    updated_at: datetime


class ClientPage(BaseModel):
    clients: list[ClientSummary]
    next_cursor: str | None


class ClientQuery(Strict):
    q: str | None = Field(default=None, max_length=100, description="name or pseudonym prefix")
    cursor: str | None = Field(default=None, pattern=ID)
    limit: int = Field(default=25, ge=1, le=100)


class Identity(BaseModel):
    """The original identifying data of a pseudonymised client."""

    profile: Profile
    contacts: list[ContactPerson]
    consent: Consent | None = None


class Export(BaseModel):
    """Everything stored about one client (GDPR art. 15 and 20)."""

    exported_at: datetime
    client: dict[str, Any]
    identity: Identity | None
    courses: list[dict[str, Any]]
    calendar: list[dict[str, Any]]
    events: list[dict[str, Any]]
    files: list[dict[str, Any]]
    remote_tasks: list[dict[str, Any]] = []


class FileUploadRequest(Strict):
    name: str = Field(min_length=1, max_length=200)
    content_type: str = Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$")
    size: int = Field(ge=1, le=20 * 1024 * 1024)


class FileUpload(BaseModel):
    id: str
    upload_url: str
    headers: dict[str, str]


class LogQuery(Strict):
    action: str | None = Field(default=None, max_length=100, description="e.g. client.updated")
    since: datetime | None = None
    until: datetime | None = None
    exercise_id: str | None = Field(default=None, pattern=ID)
    cursor: str | None = Field(default=None, pattern=ID)
    limit: int = Field(default=50, ge=1, le=200)

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.since and self.until and self.until <= self.since:
            raise ValueError("until is not after since")
        return self


class LogEntry(BaseModel):
    id: str
    actor: str
    action: str
    subject: str
    at: datetime
    client_id: str | None = None
    exercise_id: str | None = None
    details: dict[str, Any] = {}


class LogPage(BaseModel):
    entries: list[LogEntry]
    next_cursor: str | None


class ErasureReceipt(BaseModel):
    """What is left of an erased client: an id to quote, and counts."""

    erasure_id: str
    documents: int
    files: int


class CourseAssign(Strict):
    course_id: str = Field(pattern=ID)


class CourseItem(BaseModel):
    id: str
    module_id: str
    exercise_id: str
    status: Literal["pending", "scheduled", "performed", "sent"]
    scheduled_for: date | None = None
    answers: dict[str, Any] | None = None
    performed_at: datetime | None = None
    sent_at: datetime | None = None


class ClientCourse(BaseModel):
    id: str
    course_id: str
    title: str
    focus_area: str
    status: Literal["ongoing", "completed"]
    assigned_by: str
    assigned_at: datetime
    items: list[CourseItem]


class ExerciseChoice(Strict):
    exercise_id: str = Field(pattern=ID)


class Answers(Strict):
    answers: dict[str, Any]


class ScheduleDate(Strict):
    date: date


class CalendarQuery(Strict):
    start: date
    end: date

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.end < self.start:
            raise ValueError("end is before start")
        if (self.end - self.start).days > 366:
            raise ValueError("at most one year at a time")
        return self


class CalendarEntry(BaseModel):
    id: str
    date: date
    client_id: str
    course_ref: str
    item_id: str
    exercise_id: str


class Calendar(BaseModel):
    entries: list[CalendarEntry]


class Tried(BaseModel):
    exercise_id: str
    valid: bool
    answers: dict[str, Any]


class DownloadUrl(BaseModel):
    url: str


class CatalogueDocument(RootModel[dict[str, Any]]):
    """A catalogue item or overview: its shape depends on the kind (see catalogue.py)."""
