"""The public status page (SPEC S-4, M-4): components, incidents, planned maintenance.

Everything is the supplier's, outside any tenant, and server-only (no rule of
firestore.rules opens it): `status/summary` is the one document the page reads (kept up
to date in the transaction of every change); `status_incidents/{id}`,
`status_maintenances/{id}` and `status_changes/{id}` are the records kept beyond the
page's 90 days.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from shared.errors import ApiError
from shared.models import SLUG, Model, Moment, Strict

SUMMARY = ("status", "summary")
INCIDENTS = "status_incidents"
MAINTENANCES = "status_maintenances"
CHANGES = "status_changes"
HISTORY_DAYS = 90


class Component(StrEnum):
    """What a customer uses, each as the page names it."""

    SIGN_IN = "sign_in"  # signing in (Firebase Auth, auth_api)
    CLIENT_WORK = "client_work"  # clients, courses, logs (clients_api)
    REMOTE_TASKS = "remote_tasks"  # remote-task links and their page
    VR_SESSIONS = "vr_sessions"  # VR sessions with headsets
    MESSAGING = "messaging"  # e-mail and SMS (SES, SNS)
    BACKUP = "backup"  # the nightly backup


class ComponentState(StrEnum):
    # Statuspage's names, so the JSON reads as that API does.
    OPERATIONAL = "operational"
    DEGRADED = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    MAINTENANCE = "under_maintenance"


# Worse states rank higher; the page's overall indicator is the worst component's.
SEVERITY = {
    ComponentState.OPERATIONAL: 0,
    ComponentState.MAINTENANCE: 1,
    ComponentState.DEGRADED: 2,
    ComponentState.PARTIAL_OUTAGE: 3,
    ComponentState.MAJOR_OUTAGE: 4,
}
# Time in these counts as down for uptime; degraded performance still works.
DOWN = frozenset({ComponentState.PARTIAL_OUTAGE, ComponentState.MAJOR_OUTAGE})


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


# Forward, or back to identified when monitoring shows the fix did not hold; resolved is
# final (a new incident is opened instead).
TRANSITIONS: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    IncidentStatus.INVESTIGATING: frozenset(IncidentStatus),
    IncidentStatus.IDENTIFIED: frozenset(
        {IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING, IncidentStatus.RESOLVED}
    ),
    IncidentStatus.MONITORING: frozenset(
        {IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING, IncidentStatus.RESOLVED}
    ),
    IncidentStatus.RESOLVED: frozenset(),
}


class Impact(StrEnum):
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class MaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Text(Strict):
    """A text the supplier writes for customers: Danish, and English when given."""

    da: str = Field(min_length=1, max_length=2000)
    en: str | None = Field(default=None, min_length=1, max_length=2000)

    def in_(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.da


TenantList = Annotated[list[Annotated[str, Field(pattern=SLUG)]], Field(max_length=500)]
Components = dict[Component, ComponentState]


# -- stored -----------------------------------------------------------------------------


class IncidentUpdate(Model):
    id: str
    status: IncidentStatus
    message: Text
    at: datetime
    components: Components = Field(default_factory=dict)  # the states set by this update
    expected_resolution_at: datetime | None = None


class Incident(Model):
    id: str
    title: Text
    impact: Impact
    status: IncidentStatus
    components: Components  # the affected components and their current states
    tenants: list[str] | None = None  # None: every tenant
    created_at: datetime
    updated_at: datetime
    expected_resolution_at: datetime | None = None  # while open
    resolved_at: datetime | None = None
    cause: Text | None = None  # after resolution (the Handsonsimply SLA promises both)
    prevention: Text | None = None
    updates: list[IncidentUpdate] = Field(default_factory=list)  # newest last
    created_by: str


class Maintenance(Model):
    id: str
    title: Text
    description: Text
    components: list[Component]
    tenants: list[str] | None = None
    starts_at: datetime
    ends_at: datetime
    announced_at: datetime
    announced_by: str
    emergency_reason: str | None = None  # an emergency breaks the notice, and says why
    cancelled_at: datetime | None = None

    def status(self, now: datetime) -> MaintenanceStatus:
        """The state is the clock's: scheduled, in progress and completed on its own times."""
        if self.cancelled_at is not None:
            return MaintenanceStatus.CANCELLED
        if now < self.starts_at:
            return MaintenanceStatus.SCHEDULED
        return MaintenanceStatus.IN_PROGRESS if now < self.ends_at else MaintenanceStatus.COMPLETED


class StateChange(Model):
    """A component's state from `at` until its next change (the uptime intervals)."""

    component: Component
    state: ComponentState
    at: datetime
    source: str  # "incident:<id>", "backup", "staff"


class Summary(Model):
    incidents: list[Incident] = Field(default_factory=list)
    maintenances: list[Maintenance] = Field(default_factory=list)
    changes: list[StateChange] = Field(default_factory=list)  # oldest first
    updated_at: datetime | None = None


# -- requests ---------------------------------------------------------------------------


class NewIncident(Strict):
    title: Text
    message: Text
    impact: Impact = Impact.MINOR
    status: IncidentStatus = IncidentStatus.INVESTIGATING
    components: Components = Field(min_length=1, description="affected components and states")
    tenants: TenantList | None = Field(default=None, description="affected tenants; null: all")
    expected_resolution_at: Moment

    @model_validator(mode="after")
    def _open(self) -> Self:
        if self.status is IncidentStatus.RESOLVED:
            raise ValueError("an incident opens unresolved")
        return self


class NewIncidentUpdate(Strict):
    status: IncidentStatus
    message: Text
    components: Components = Field(default_factory=dict)
    expected_resolution_at: Moment | None = None
    cause: Text | None = None
    prevention: Text | None = None

    @model_validator(mode="after")
    def _resolution_explains(self) -> Self:
        resolved = self.status is IncidentStatus.RESOLVED
        if resolved and (self.cause is None or self.prevention is None):
            raise ValueError("a resolution says the cause and what prevents it recurring")
        return self


class Emergency(Strict):
    reason: str = Field(min_length=10, max_length=2000, description="why it cannot wait")


class NewMaintenance(Strict):
    title: Text
    description: Text
    components: list[Component] = Field(min_length=1)
    tenants: TenantList | None = Field(default=None, description="affected tenants; null: all")
    starts_at: Moment
    ends_at: Moment
    emergency: Emergency | None = Field(default=None, description="breaks the notice")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class ComponentChange(Strict):
    state: ComponentState


class IncidentList(Model):
    incidents: list[Incident]


class MaintenanceList(Model):
    maintenances: list[Maintenance]


class ComponentAnswer(Model):
    component: Component
    state: ComponentState


# -- refusals ---------------------------------------------------------------------------


class NoticeTooShort(ApiError):
    status, code = 422, "notice_too_short"
    title = "An affected contract requires more notice for this maintenance"


class UnknownTenant(ApiError):
    status, code, title = 422, "unknown_tenant", "No active tenant has this id"


class MaintenanceStarted(ApiError):
    status, code = 409, "maintenance_started"
    title = "The maintenance has started, ended or been cancelled"
