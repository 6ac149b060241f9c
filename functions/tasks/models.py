"""What a remote task is: its record, the requests about it and why a link does not open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

from pydantic import AwareDatetime, Field, model_validator

from shared import errors
from shared.messaging.models import Locale
from shared.models import ID, SLUG, Model, Strict

if TYPE_CHECKING:
    from functions.tasks.presenting import Asker

# Cloud Tasks schedules at most 30 days ahead.
MAX_DELAY = timedelta(days=25)


class Status(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    OPENED = "opened"
    ANSWERED = "answered"
    CANCELLED = "cancelled"


OPEN = (Status.SCHEDULED, Status.SENT, Status.OPENED)


class SendRequest(Strict):
    contacts: list[int] | None = Field(default=None, description="indexes; default: all")
    send_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _within_reach(self) -> Self:
        if self.send_at is not None and self.send_at > datetime.now(UTC) + MAX_DELAY:
            raise ValueError(f"send_at is more than {MAX_DELAY.days} days ahead")
        return self


class Sender(Model):
    """Who is asking, as the contact person reads it: kept on the task when it is sent, so
    the page and the reminder need no read of the member (nor of a renamed one)."""

    first_name: str
    role: str  # a Role value: the page and e-mail say it in their language
    email: str = ""  # the work e-mail, shown only where the tenant allows


class RemoteTask(Model):
    id: str
    client_id: str
    course_ref: str
    item_id: str
    exercise_id: str
    exercise_title: str
    exercise_purpose: str = ""  # the catalogue's line on what it is for, as sent
    contact_name: str
    contact_email: str  # "" for a pseudonymised client: the address is sealed instead
    contact_sealed: str | None = None
    status: Status
    locale: Locale = Locale.DA  # the language of the e-mail and of the page behind it
    link_version: int
    link_expires_at: datetime
    created_by: str
    created_at: datetime
    sender: Sender | None = None  # None on tasks sent before senders were kept
    send_at: datetime | None = None
    opened_at: datetime | None = None
    answered_at: datetime | None = None
    cancelled_at: datetime | None = None
    reminded_at: datetime | None = None
    answer: dict[str, Any] | None = None


class RemoteTaskList(Model):
    remote_tasks: list[RemoteTask]


class TaskVersion(Strict):
    task_id: str = Field(pattern=ID)
    version: int = Field(ge=1)


class Reminder(Strict):
    """The body of the Cloud Task that reminds the contact persons of one send: ids only."""

    tenant_id: str = Field(pattern=SLUG)
    tasks: list[TaskVersion] = Field(min_length=1, max_length=500)


class NotRemote(errors.ApiError):
    status, code = 422, "not_remote"
    title = "This exercise cannot be sent as a remote task"


class LinkRefused(Exception):
    """Why a link does not open: one of the pages in page.py."""

    def __init__(self, page: str, asker: Asker | None = None) -> None:
        super().__init__(page)
        self.page = page
        self.asker = asker  # who sent the task, when the link named one that was read


class PrivacyPolicyMissing(errors.ApiError):
    status, code = 409, "privacy_policy_missing"
    title = (
        "Your organisation's privacy notice (with the URL of its privacy policy) must be set "
        "before remote tasks are sent: PUT /settings/privacy"
    )


def message_id(task_id: str, version: int, *, reminder: bool = False) -> str:
    """The e-mail of one link version (and its reminder): its idempotency key."""
    return f"rt-{task_id}-v{version}" + ("-reminder" if reminder else "")


def reminded_event_id(task_id: str, version: int) -> str:
    """The log entry of a reminder: once per link version, however often it is delivered."""
    return message_id(task_id, version) + "-reminded"
