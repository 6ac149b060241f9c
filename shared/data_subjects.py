"""The register of data-subject requests (GDPR Art. 12-22), and their deadlines.

A request is answered within one month of receipt (Art. 12(3)); the controller may
extend that by two further months, with a reason it records. "One month" is counted
as the EU counts periods (Regulation 1182/71, Art. 3(2)(c)): the same date in the
next month, or that month's last day when it has no such date (31 January -> 28 or
29 February). dateutil's relativedelta does exactly that. The extended deadline is
three months from receipt (31 January -> 30 April), not two months after the first
deadline (which would give 28 April): the Regulation counts from receipt.

The register is evidence the controller must keep (Art. 5(2), accountability), so
erasing a client does not erase it: it names no person, only the client's id, which
after an erasure leads to nobody (as the event log keeps a deleted user's uid). The
export of a client includes it (shared/client_data.py).

The nightly maintenance reminds the tenant's administrators of an open request's
deadline (functions/support/maintenance/request_reminders.py).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from dateutil.relativedelta import relativedelta
from pydantic import Field

from shared.models import ID, Model

DATA_SUBJECT_REQUESTS = "data_subject_requests"
# Reminders to the administrators this many days before the deadline (0: on the day).
REMINDER_DAYS: tuple[int, ...] = (7, 1)


class RequestKind(StrEnum):
    ACCESS = "access"  # Art. 15
    RECTIFICATION = "rectification"  # Art. 16
    ERASURE = "erasure"  # Art. 17
    RESTRICTION = "restriction"  # Art. 18
    PORTABILITY = "portability"  # Art. 20
    OBJECTION = "objection"  # Art. 21
    CONSENT_WITHDRAWAL = "consent_withdrawal"  # Art. 7(3)


class RequestStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"  # answered: done as asked
    REFUSED = "refused"  # answered: refused, with the reason in the outcome


OPEN_STATUSES = (RequestStatus.OPEN.value,)


def first_deadline(received: date) -> date:
    """One month from receipt (Art. 12(3))."""
    return received + relativedelta(months=1)


def extended_deadline(received: date) -> date:
    """The latest an extension allows: two further months, three from receipt."""
    return received + relativedelta(months=3)


class Reminder(Model):
    days_before: int
    at: datetime
    message_ids: list[str]


class DataSubjectRequest(Model):
    """`tenants/{t}/data_subject_requests/{id}`: no names, only the client's id."""

    id: str
    kind: RequestKind
    client_id: str | None = Field(default=None, pattern=ID)
    received_on: date
    deadline: date = Field(description="one month from receipt, or the extended deadline")
    extended: bool = False
    extension_reason: str | None = None
    handler: str = Field(description="uid of whoever handles it")
    status: RequestStatus = RequestStatus.OPEN
    outcome: str | None = None
    answered_on: date | None = None
    reminders: list[Reminder] = Field(default_factory=list)
    created_by: str
    created_at: datetime

    def reminded(self, days_before: int) -> bool:
        return any(r.days_before == days_before for r in self.reminders)


def due_thresholds(request: DataSubjectRequest, today: date) -> list[int]:
    """The reminders an open request is due for today and has not had yet: each
    threshold whose day has come (a night missed is made up the next night)."""
    if request.status is not RequestStatus.OPEN:
        return []
    left = (request.deadline - today).days
    return [days for days in REMINDER_DAYS if left <= days and not request.reminded(days)]
