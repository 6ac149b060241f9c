"""Support tickets: the stored record, request bodies and answers (SPEC S-1)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from shared.errors import ApiError
from shared.models import ID, SLUG, Model, Moment, Strict

TICKETS = "tickets"  # tenants/{t}/tickets/{id}; server-only
COMMENTS = "comments"  # .../{id}/comments/{c}
REQUEST_ID = r"^[A-Za-z0-9-]{8,64}$"  # the request id of a problem+json body


class TicketLevel(StrEnum):
    FIRST = "first"  # with the tenant's own administrator
    SECOND = "second"  # escalated to the supplier


class TicketStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting_for_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


# Which status may follow which. A first-level ticket is answered (resolved) by its
# administrator or escalated; only the supplier assigns and works on a second-level one.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset({TicketStatus.ASSIGNED, TicketStatus.RESOLVED}),
    TicketStatus.ASSIGNED: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.WAITING, TicketStatus.RESOLVED}
    ),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.WAITING, TicketStatus.RESOLVED}),
    TicketStatus.WAITING: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.IN_PROGRESS}),
    TicketStatus.CLOSED: frozenset(),
}


class SlaState(StrEnum):
    RUNNING = "running"
    MET = "met"
    BREACHED = "breached"  # due time passed without the stop event (stays, once marked)
    EXCLUDED = "excluded"  # customer-caused, suspended tenant, or no SLA agreed


class TicketPause(Model):
    since: datetime
    until: datetime | None = None


class TicketAttachment(Model):
    id: str
    filename: str
    content_type: str
    size: int
    uploaded: bool = False


class TicketSla(Model):
    priority: str
    state: SlaState = SlaState.RUNNING
    due_at: datetime | None = None
    warn_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    met_at: datetime | None = None
    version: int = 0  # bumped each time the due time moves: a Cloud Task of an older one is void
    excluded_because: str | None = None
    near_breach: bool = False  # warned, neither met nor breached yet (the metric counts these)
    alerted: list[str] = Field(default_factory=list)  # "warning", "breach": each sent once


class Ticket(Model):
    """A ticket as stored and as answered. Holds ticket data only: it never copies a
    client's data (the form says so, and no field takes a client id)."""

    id: str
    tenant_id: str
    reporter_uid: str
    title: str
    description: str
    steps_to_reproduce: str | None = None
    consequence: str | None = None
    request_id: str | None = None
    level: TicketLevel = TicketLevel.FIRST
    status: TicketStatus = TicketStatus.NEW
    created_at: datetime
    last_contact_at: datetime
    escalated_by: str | None = None
    received_at: datetime | None = None  # escalated: received by the supplier
    confirmed_at: datetime | None = None  # the supplier confirmed receipt
    assignee_uid: str | None = None
    assignee_name: str | None = None
    work_started_at: datetime | None = None
    fix_released_at: datetime | None = None
    closed_at: datetime | None = None
    pauses: list[TicketPause] = Field(default_factory=list)
    customer_caused: bool = False
    billable_minutes: int = 0
    sla: TicketSla | None = None
    attachments: list[TicketAttachment] = Field(default_factory=list)

    def to_firestore(self) -> dict[str, Any]:
        data = self.model_dump(mode="python")
        for key, value in list(data.items()):
            if isinstance(value, StrEnum):
                data[key] = value.value
        return data


class TicketComment(Model):
    id: str
    author_uid: str
    author_side: Literal["customer", "supplier"]
    text: str
    at: datetime


# -- requests ------------------------------------------------------------------------------


class NewTicket(Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10_000)
    steps_to_reproduce: str | None = Field(default=None, max_length=10_000)
    consequence: str | None = Field(default=None, max_length=5_000)
    request_id: str | None = Field(
        default=None, pattern=REQUEST_ID, description="the request id of a problem+json body"
    )


class Escalation(Strict):
    priority: str = Field(pattern=SLUG, max_length=50, description="a row of the contract's table")
    steps_to_reproduce: str = Field(min_length=1, max_length=10_000)
    consequence: str = Field(min_length=1, max_length=5_000)
    description: str | None = Field(default=None, max_length=10_000)


class StatusChange(Strict):
    status: TicketStatus
    note: str | None = Field(default=None, max_length=5_000)


class Assignment(Strict):
    assignee_uid: str = Field(pattern=ID, max_length=128, description="support staff, named")


class NewComment(Strict):
    text: str = Field(min_length=1, max_length=10_000)


class CustomerCaused(Strict):
    billable_minutes: int = Field(ge=0, le=100_000)
    note: str = Field(min_length=1, max_length=2_000)


AttachmentType = Literal["image/png", "image/jpeg", "text/plain", "application/json"]
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class NewAttachment(Strict):
    filename: Annotated[str, Field(pattern=r"^[A-Za-z0-9._ -]{1,100}$")]
    content_type: AttachmentType = Field(description="screenshots (PNG, JPEG) or log files")
    size: int = Field(ge=1, le=MAX_ATTACHMENT_BYTES)


class QueueQuery(Strict):
    status: TicketStatus | None = None


class ReportQuery(Strict):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (Copenhagen)")


class DeskLead(Strict):
    lead_uid: str = Field(pattern=ID, max_length=128, description="the support lead (named)")


# -- answers -------------------------------------------------------------------------------


class TicketList(Model):
    tickets: list[Ticket]


class TicketCommentList(Model):
    comments: list[TicketComment]


class UploadAnswer(Model):
    attachment: TicketAttachment
    upload_url: str
    upload_headers: dict[str, str]
    expires_at: datetime


class DownloadAnswer(Model):
    url: str


class DeskAnswer(Model):
    lead_uid: str
    lead_name: str


class SlaAlert(Strict):
    """The body of a Cloud Task of the SLA clock."""

    tenant_id: str = Field(pattern=SLUG)
    ticket_id: str = Field(pattern=ID)
    kind: Literal["warning", "breach"]
    version: int = Field(ge=0)


class AlertOutcome(Model):
    done: str  # "warned", "breached" or why nothing was done


class PriorityReport(Model):
    priority: str
    label: str
    met: int
    breached: int
    running: int
    excluded: int
    median_response_minutes: float | None


class SlaReport(Model):
    tenant_id: str
    month: str
    priorities: list[PriorityReport]
    billable_minutes: int
    generated_at: Moment


# -- refusals ------------------------------------------------------------------------------


class UnknownPriority(ApiError):
    status, code = 422, "unknown_priority"
    title = "The contract's priority table has no such priority"


class NoSupportTerms(ApiError):
    status, code = 409, "no_support_terms"
    title = "No support terms are recorded in the contract; the owner records them first"


class NotSupportStaff(ApiError):
    status, code = 422, "not_support_staff"
    title = "Tickets are assigned to a named, active member of the supplier's support staff"


class AttachmentInvalid(ApiError):
    status, code = 422, "attachment_invalid"
    title = "The uploaded file is missing, too large or not of the type declared"
