"""What an acute incident is, the on-call rota, the paging task and containment's answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from shared import errors
from shared.models import ID, SLUG, Model, Strict

INCIDENTS = "incidents"  # incidents/{id}: the supplier's, across tenants (server-only)
CONTAINMENTS = "containments"  # incidents/{id}/containments/{tenant}
ROTA = ("support_desk", "rota")  # the supplier's on-call rota (server-only)
REPEAT_MINUTES = 15  # the page is repeated this often until acknowledged
ESCALATE_AFTER = 2  # repeats: after 30 minutes the secondary is paged too


class IncidentKind(StrEnum):
    HACKING = "hacking"
    PERSONAL_DATA_BREACH = "personal_data_breach"  # suspected
    OTHER = "other"


class NewIncident(Strict):
    kind: IncidentKind
    description: str = Field(min_length=1, max_length=5000)


class Incident(Model):
    id: str
    tenant_id: str
    reporter_uid: str
    reporter_role: str
    kind: IncidentKind
    description: str
    reported_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    # The paging steps done (0 at once, then one per REPEAT_MINUTES), recorded before sending.
    pages: list[int] = Field(default_factory=list)
    paged: list[str] = Field(default_factory=list)  # uids paged, for the report


class IncidentList(Model):
    incidents: list[Incident]


class Rota(Strict):
    primary_uid: str = Field(pattern=ID)
    secondary_uid: str = Field(pattern=ID)


class RotaAnswer(Model):
    primary_uid: str
    primary_name: str
    secondary_uid: str
    secondary_name: str
    set_by: str
    set_at: datetime


class SupportTask(Strict):
    """The body of a Cloud Task of the incident queue: ids only.

    `page`: paging step `step` of incident `incident_id`; `notice_reminder`: remind the
    owners to notify `tenant_id` of breach `breach_id` before its DPA deadline (`step`: the
    reminder); `controller_reminder`: remind the tenant of its own 72 hours (`step`: hours).
    """

    kind: Literal["page", "notice_reminder", "controller_reminder"]
    incident_id: str | None = Field(default=None, pattern=ID)
    breach_id: str | None = Field(default=None, pattern=ID)
    tenant_id: str | None = Field(default=None, pattern=SLUG)
    step: int = Field(ge=0, le=100_000)


class TaskOutcome(Model):
    done: str


class Containment(Strict):
    """Contain a breach in one tenant, answering one acute incident."""

    incident_id: str = Field(pattern=ID)


class ContainmentAnswer(Model):
    tenant_id: str
    incident_id: str
    started_at: datetime
    # What each step did this time (0: already done by an earlier run of this containment).
    steps: dict[str, int]


class NoRota(errors.ApiError):
    status, code = 409, "no_rota"
    title = "No on-call rota is set; the owner sets one with PUT /desk/rota"


class NotOnCallStaff(errors.ApiError):
    status, code = 422, "not_on_call_staff"
    title = "Both persons must be active, reviewed staff (owner or support) with a phone"
