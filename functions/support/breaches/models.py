"""What the breach register holds and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import Field, model_validator

from shared import errors
from shared.models import ID, SLUG, Model, Moment, Strict

BREACHES = "breaches"  # breaches/{id}: each breach's current state (the clocks), supplier-side
REGISTER = "breach_register"  # breach_register/{seq}: the chain, append-only
HEAD = ("breach_register_head", "head")  # the chain's last seq and hash
CONTROLLER_HOURS = 72  # the controller's own deadline to Datatilsynet (Art. 33(1))
CONTROLLER_REMINDERS = (24, 48, 66)  # hours after the controller became aware
DEFAULT_NOTICE_HOURS = 24


class AffectedTenant(Strict):
    tenant_id: str = Field(pattern=SLUG)
    subject_categories: list[str] = Field(min_length=1, max_length=20)
    approx_subjects: int = Field(ge=0, le=10_000_000)
    data_categories: list[str] = Field(min_length=1, max_length=20)
    approx_records: int = Field(ge=0, le=100_000_000)
    # The access audit trail lists the people concerned: reads in this range and/or by this user.
    audit_since: Moment | None = None
    audit_until: Moment | None = None
    audit_user_uid: str | None = Field(default=None, pattern=ID)
    notify: bool = Field(description="whether the controller is notified")
    reasoning: str = Field(min_length=1, max_length=5000, description="why notify, or why not")

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.audit_since and self.audit_until and self.audit_since >= self.audit_until:
            raise ValueError("audit_since must be before audit_until")
        return self


class NewBreach(Strict):
    detected_at: Moment
    aware_at: Moment = Field(description="when the supplier became aware")
    nature: str = Field(min_length=1, max_length=5000)
    likely_consequences: str = Field(min_length=1, max_length=5000)
    measures: str = Field(min_length=1, max_length=5000)
    incident_id: str | None = Field(default=None, pattern=ID)
    tenants: list[AffectedTenant] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.aware_at < self.detected_at:
            raise ValueError("aware_at cannot be before detected_at")
        if len({t.tenant_id for t in self.tenants}) != len(self.tenants):
            raise ValueError("each tenant once")
        return self


class BreachUpdate(Strict):
    """A phased update (Art. 33(4)); for one tenant only when `tenant_id` is given."""

    text: str = Field(min_length=1, max_length=5000)
    measures: str | None = Field(default=None, max_length=5000)
    tenant_id: str | None = Field(default=None, pattern=SLUG)


class AffectedPerson(Model):
    client_id: str
    accesses: int


class TenantPart(Model):
    """One affected tenant's part of a breach, with both clocks."""

    tenant_id: str
    subject_categories: list[str]
    approx_subjects: int
    data_categories: list[str]
    approx_records: int
    people: list[AffectedPerson]
    notify: bool
    reasoning: str
    notice_hours: int
    notice_due_at: datetime  # the supplier's deadline (the DPA's hours from awareness)
    notice_sent_at: datetime | None = None
    notice_messages: list[str] = Field(default_factory=list)
    notice_reminders: list[int] = Field(default_factory=list)
    delivered_at: datetime | None = None  # the controller's awareness: its 72 hours run
    controller_due_at: datetime | None = None
    controller_reminders: list[int] = Field(default_factory=list)


class BreachNote(Model):
    at: datetime
    text: str
    measures: str | None = None


class Breach(Model):
    id: str
    detected_at: datetime
    aware_at: datetime
    nature: str
    likely_consequences: str
    measures: str
    incident_id: str | None = None
    recorded_by: str
    tenant_ids: list[str]
    tenants: list[TenantPart]
    updates: list[BreachNote] = Field(default_factory=list)

    def to_firestore(self) -> dict[str, Any]:
        return self.model_dump(exclude={"updates"})


class BreachList(Model):
    breaches: list[Breach]


class RegisterEntry(Model):
    seq: int
    breach_id: str
    tenant_ids: list[str]
    body: str  # canonical JSON of the entry
    prev_hash: str
    hash: str


class Verification(Model):
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str | None = None


class RegisterExport(Model):
    algorithm: str = "sha256(canonical JSON of the entry + the previous entry's hash)"
    entries: list[RegisterEntry]
    verification: Verification
    exported_at: datetime


class UnknownTenant(errors.ApiError):
    status, code = 422, "unknown_tenant"
    title = "An affected tenant does not exist"
