"""Request and response models of clients_api: clients, catalogue, courses, logs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from shared.catalogue import (
    CourseItem,
    DocumentItem,
    ExerciseItem,
    FocusAreaItem,
    VideoItem,
)
from shared.clients import Consent, ContactPerson, Identity, Profile
from shared.data_subjects import DataSubjectRequest, RequestKind, RequestStatus
from shared.erasure_ledger import ErasureBasis
from shared.messaging.models import Channel
from shared.models import ID, Model, Moment, Patch, Strict


class ClientCreate(Strict):
    profile: Profile
    contacts: list[ContactPerson] = Field(default=[], max_length=100)
    consent: Consent | None = None


class ClientUpdate(Patch):
    keep: ClassVar[tuple[str, ...]] = ("profile", "contacts")

    profile: Profile | None = None
    contacts: list[ContactPerson] | None = Field(default=None, max_length=100)
    consent: Consent | None = Field(default=None, description="null withdraws the consent")


class CourseSummary(Model):
    id: str
    course_id: str
    title: str
    status: Literal["ongoing", "completed"]
    assigned_at: datetime
    done: int
    total: int


class Client(Model):
    id: str
    profile: Profile
    contacts: list[ContactPerson]
    consent: Consent | None
    pseudonymised: bool
    created_at: datetime
    updated_at: datetime
    courses: list[CourseSummary] = Field(default_factory=list)
    restriction: Restriction | None = Field(
        default=None, description="set while processing is restricted (GDPR Art. 18)"
    )


class Restriction(Model):
    since: datetime
    by: str
    request_id: str | None = None


class RestrictionRequest(Strict):
    request_id: str | None = Field(
        default=None, pattern=ID, description="the register entry that asked for it"
    )


class SubjectRequestCreate(Strict):
    kind: RequestKind
    client_id: str | None = Field(default=None, pattern=ID, description="the data subject")
    received_on: date = Field(description="the day the request reached the controller")
    handler: str | None = Field(
        default=None, pattern=ID, max_length=128, description="uid; the caller if left out"
    )

    @model_validator(mode="after")
    def _not_received_tomorrow(self) -> Self:
        if self.received_on > date.today() or self.received_on.year < 2000:
            raise ValueError("received_on must be a day between 2000 and today")
        return self


class SubjectRequestExtension(Strict):
    reason: str = Field(min_length=3, max_length=2000, description="why more time (Art. 12(3))")


class SubjectRequestAnswer(Strict):
    status: Literal[RequestStatus.COMPLETED, RequestStatus.REFUSED]
    outcome: str = Field(
        min_length=3, max_length=5000, description="what was done or why refused; no names"
    )


class Recipient(Model):
    kind: Literal["contact_person", "processor"]
    channel: Channel
    name: str | None = None
    address: str | None = Field(default=None, description="a contact person's e-mail or phone")
    first_at: datetime | None = None
    last_at: datetime | None = None
    count: int = 0
    sources: list[str] = Field(description="the collections the fact comes from")


class ClientRecipients(Model):
    client_id: str
    recipients: list[Recipient]
    limits: str = Field(description="what the list cannot know")


class SubjectRequestList(Model):
    requests: list[DataSubjectRequest]


class ClientSummary(Model):
    """What the list shows: enough to pick a client, not their record (that read is audited)."""

    id: str
    name: str
    pseudonymised: bool
    updated_at: datetime


class ClientPage(Model):
    clients: list[ClientSummary]
    next_cursor: str | None


class ClientQuery(Strict):
    q: str | None = Field(default=None, max_length=100, description="name or pseudonym prefix")
    cursor: str | None = Field(default=None, pattern=ID)
    limit: int = Field(default=25, ge=1, le=100)


class ExportedFile(Model):
    object: str
    content_type: str | None
    size: int | None
    content_base64: str


class Export(Model):
    """Everything stored about one client (GDPR art. 15 and 20)."""

    exported_at: datetime
    client: dict[str, Any]
    identity: Identity | None
    # Every record about the client, by collection (shared/client_data.py lists them).
    records: dict[str, list[dict[str, Any]]]
    files: list[ExportedFile]


class FileUploadRequest(Strict):
    name: str = Field(min_length=1, max_length=200)
    content_type: str = Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$")
    size: int = Field(ge=1, le=20 * 1024 * 1024)


class FileUpload(Model):
    id: str
    upload_url: str
    headers: dict[str, str]


class LogQuery(Strict):
    action: str | None = Field(default=None, max_length=100, description="e.g. client.updated")
    since: Moment | None = None
    until: Moment | None = None
    exercise_id: str | None = Field(default=None, pattern=ID)
    cursor: str | None = Field(default=None, pattern=ID)
    limit: int = Field(default=50, ge=1, le=200)

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.since and self.until and self.until <= self.since:
            raise ValueError("until is not after since")
        return self


class LogEntry(Model):
    id: str
    actor: str
    action: str
    subject: str
    at: datetime
    client_id: str | None = None
    exercise_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class LogNote(Strict):
    """A note in the client log (online, and the twin of an offline log entry)."""

    text: str = Field(min_length=1, max_length=5000)


class LogPage(Model):
    entries: list[LogEntry]
    next_cursor: str | None


class ErasureReceipt(Model):
    """What is left of an erased client: an id to quote, and counts."""

    erasure_id: str
    documents: int
    files: int
    basis: ErasureBasis = Field(
        description="data_subject_request (final) or staff_deletion (an administrator may"
        " restore the client from a backup within 30 days)"
    )


class CourseAssign(Strict):
    course_id: str = Field(pattern=ID)


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


class CalendarEntry(Model):
    id: str
    date: date
    client_id: str
    course_ref: str
    item_id: str
    exercise_id: str


class Calendar(Model):
    entries: list[CalendarEntry]


class Tried(Model):
    exercise_id: str
    valid: bool
    answers: dict[str, Any]


class DownloadUrl(Model):
    url: str


class FocusAreaContent(FocusAreaItem):
    """One licensed focus area with everything in it."""

    courses: list[CourseItem]
    exercises: list[ExerciseItem]
    documents: list[DocumentItem]
    videos: list[VideoItem]


class CatalogueOverview(Model):
    focus_areas: list[FocusAreaContent]


class ClientRestoreRequest(Strict):
    backup: str = Field(
        pattern=r"^\d{8}T\d{6}Z$", description="the backup's time, as GET .../restore lists it"
    )


class ClientBackups(Model):
    backups: list[str] = Field(description="each backup holding the client, newest first")


class ClientRestored(Model):
    client_id: str
    backup: str
    documents: int = Field(description="documents written back (what was live is kept)")
    files: int
