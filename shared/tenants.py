"""The tenant document `tenants/{t}` as a typed model, and the one check of its status.

Every area that needs the tenant (the principal, the link page, reminders, the
catalogue's licence check) reads it through `load` or `load_active`, so an unknown
status fails closed in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

from pydantic import EmailStr, Field, ValidationError, model_validator

from shared import errors
from shared.contracts import MAX_SEATS, AddOn, Licence
from shared.events import record_event
from shared.messaging.models import Locale
from shared.models import Model, Strict
from shared.subprocessors import Approvals

# After termination the tenant can export its data this long; then it is erased.
EXPORT_PERIOD = timedelta(days=90)

if TYPE_CHECKING:
    from google.cloud import firestore

    from shared.tenancy import TenantData

__all__ = ["MAX_SEATS", "AddOn", "Licence", "TenantDocument", "TenantStatus"]


class TenantStatus(StrEnum):
    # Provisioned, no DPA recorded yet: users may sign in and be set up, no client data.
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class SamlCertificate(Model):
    sha256: str
    not_valid_after: datetime


class SamlSettings(Model):
    """What the tenant's document keeps of its SAML sign-in (no certificate bodies)."""

    provider_id: str  # "saml.adfs-<slug>"
    idp_entity_id: str
    sso_url: str
    certificates: list[SamlCertificate]


class SignInSettings(Model):
    mfa_required: bool = False
    entra_provider_id: str | None = None  # "oidc.entra-<slug>" once configured
    saml: SamlSettings | None = None  # once configured (functions/auth/saml.py)


class RemoteTaskPreferences(Strict):
    """The tenant's choices for remote tasks (the administrator changes them)."""

    link_days: int = Field(default=14, ge=1, le=60)
    reminder_days: int | None = Field(default=3, ge=1, le=30)  # None: no reminders

    @model_validator(mode="after")
    def _remind_while_the_link_works(self) -> Self:
        if self.reminder_days is not None and self.reminder_days >= self.link_days:
            raise ValueError("reminder_days must be fewer than link_days")
        return self


class PrivacyNotice(Strict):
    """What a contact person is told when they answer a remote task (GDPR Art. 13): the
    tenant's own words, shown on the page behind every link. Without it nothing is sent
    (`privacy_policy_missing`)."""

    controller: str = Field(default="", max_length=200, description="default: display name")
    purpose: str = Field(min_length=1, max_length=1000, description="why answers are collected")
    recipients: str = Field(min_length=1, max_length=500, description="who reads the answers")
    retention: str = Field(min_length=1, max_length=500, description="how long they are kept")
    policy_url: str = Field(pattern=r"^https://[^\s]+$", max_length=500)
    contact_email: EmailStr = Field(description="questions and withdrawal of an answer")
    # Whether the e-mail and page give the sending professional's work e-mail for help;
    # otherwise contact_email is given.
    show_professional_email: bool = False


class ClientRetention(Strict):
    """How long a client is kept after their last activity (the DPA's appendix C.4); the
    administrator sets it, `months: null` keeps clients until someone erases them. At
    least 2 months, so the 30-day warning before an erasure always comes after activity
    stopped; at most 10 years."""

    months: int | None = Field(ge=2, le=120)


class WellbeingSettings(Strict):
    """The administrator's well-being choices (issue 17): how often a check falls due, and
    how many must answer before a group's result shows (never fewer than 5)."""

    cadence_days: int = Field(default=14, ge=1, le=90)
    minimum_group: int = Field(default=5, ge=5, le=100)


class TenantDocument(Model):
    """What `tenants/{t}` holds; the slug is the document id."""

    display_name: str = ""
    status: str  # a TenantStatus; kept as text so an unknown state is refused, not a crash
    licence: Licence | None = None
    seats_used: int = 0
    locale: Locale = Locale.DA
    sign_in: SignInSettings = SignInSettings()
    remote_tasks: RemoteTaskPreferences = RemoteTaskPreferences()
    privacy: PrivacyNotice | None = None  # set by an administrator before sending tasks
    client_retention: ClientRetention = ClientRetention(months=None)
    wellbeing: WellbeingSettings = WellbeingSettings()
    created_at: datetime | None = None
    suspended_at: datetime | None = None
    reactivated_at: datetime | None = None  # closes the payment demands before it
    terminated_at: datetime | None = None
    # T-4: after termination the administrator may export for 90 days; then it is erased.
    export_available_until: datetime | None = None
    # When an administrator confirmed receiving the export (POST /tenant/export-received):
    # from then on the tenant is erased the next night (tenant_deletion.py).
    export_received_at: datetime | None = None
    # The sub-processors it approved (shared/subprocessors.py); None: not recorded yet.
    subprocessors: Approvals | None = None
    # Set while a restore rewrites the tenant (functions/support/maintenance/backups); the
    # restored tenant document, written last, has none.
    restoring_since: datetime | None = None

    @property
    def focus_areas(self) -> set[str]:
        return set(self.licence.focus_areas) if self.licence else set()

    def has(self, add_on: AddOn) -> bool:
        return self.licence is not None and add_on in self.licence.add_ons

    def to_firestore(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=False) | {
            "created_at": self.created_at,
            "suspended_at": self.suspended_at,
            "reactivated_at": self.reactivated_at,
            "terminated_at": self.terminated_at,
            "export_available_until": self.export_available_until,
            "export_received_at": self.export_received_at,
            "restoring_since": self.restoring_since,
        }


def from_snapshot(snapshot: firestore.DocumentSnapshot[Any]) -> TenantDocument:
    if not snapshot.exists:
        raise errors.NotFound("No such tenant")
    return TenantDocument.model_validate(snapshot.to_dict() or {})


def load(tenant: TenantData, transaction: firestore.Transaction | None = None) -> TenantDocument:
    """The tenant's document; outside a transaction the one read with the caller's
    authority, if this request has it."""
    if transaction is not None:
        return from_snapshot(tenant.root.get(transaction=transaction))
    return from_snapshot(tenant.read(tenant.root))


def check_active(
    document: TenantDocument, allow_pending: bool = False, allow_inactive: bool = False
) -> TenantDocument:
    """The document, if the tenant's users may work now; else the refusal.

    A pending tenant (no DPA yet, SPEC K-2) is admitted only where `allow_pending`: the
    identity API (sign-in, setting up users, the tenant's own settings), which holds no
    client's personal data. Everywhere else it is refused with `dpa_missing`. While a
    restore rewrites the tenant, everyone is told to come back (503 `tenant_restoring`).
    """
    if document.restoring_since is not None:
        raise errors.TenantRestoring()
    if allow_inactive and document.status in (TenantStatus.SUSPENDED, TenantStatus.TERMINATED):
        # The tenant's export (T-4): suspended any time, terminated until it is erased.
        until = document.export_available_until
        if document.status == TenantStatus.TERMINATED and (
            until is None or datetime.now(UTC) >= until
        ):
            raise errors.ExportPeriodOver()
        return document
    if document.status == TenantStatus.PENDING:
        if allow_pending:
            return document
        raise errors.DpaMissing()
    if document.status == TenantStatus.SUSPENDED:
        raise errors.TenantSuspended(
            "Your organisation's access is suspended. Contact your administrator."
        )
    if document.status == TenantStatus.TERMINATED:
        raise errors.TenantTerminated()
    if document.status != TenantStatus.ACTIVE:  # an unknown state fails closed
        raise errors.Forbidden("The organisation's account is not active")
    return document


def active_document(
    snapshot: firestore.DocumentSnapshot[Any],
    allow_pending: bool = False,
    allow_inactive: bool = False,
) -> TenantDocument:
    """The tenant read in `snapshot`, if its users may work now; else their refusal."""
    if not snapshot.exists:
        raise errors.Forbidden("The account's tenant does not exist")
    try:
        document = from_snapshot(snapshot)
    except ValidationError:  # a document no code of ours writes: fail closed, not 500
        raise errors.Forbidden("The organisation's account is not active") from None
    return check_active(document, allow_pending, allow_inactive)


def load_active(tenant: TenantData) -> TenantDocument:
    """The tenant, if its users may work now; else the refusal a user is given."""
    return active_document(tenant.root.get())


def active_or_none(tenant: TenantData) -> TenantDocument | None:
    """For work without a signed-in user (a link, a reminder): the tenant if active."""
    try:
        return load_active(tenant)
    except errors.ApiError:
        return None


def change_setting(actor: str, tenant: TenantData, field: str, value: Model, action: str) -> None:
    """An administrator's choice stored on the tenant document and logged (remote tasks,
    privacy notice, client retention, well-being)."""
    dumped = value.model_dump(mode="json")
    tenant.root.update({field: dumped})
    record_event(tenant, actor=actor, action=action, subject="tenant", details=dumped)
