"""Request and response models of auth_api: tenants, licences, users, profiles, sign-in."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    EmailStr,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from functions.auth.saml import SamlConfig
from shared.contracts import CancellationRecord, Contract, ContractTerms
from shared.messaging.models import E164_PATTERN, Locale
from shared.models import SLUG, Model, Moment, Patch, Strict
from shared.principal import Role
from shared.tenants import Licence, TenantDocument, TenantStatus

# Sub-domains of trivsel.dk that are ours, not a tenant's.
RESERVED_SLUGS = frozenset(
    {
        "www",
        "api",
        "app",
        "admin",
        "auth",
        "mail",
        "status",
        "support",
        "static",
        "cdn",
        "demo-trivsel",
        "catalogue",
    }
)
PHOTO_MAX_BYTES = 2 * 1024 * 1024


def _lower(email: str) -> str:
    return email.lower()  # Firebase keeps addresses lower-case; so do we, everywhere


class Person(Strict):
    email: Annotated[EmailStr, AfterValidator(_lower)]
    display_name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern)


class TenantCreate(Strict):
    slug: str = Field(pattern=SLUG, description="a DNS label")

    @field_validator("slug")
    @classmethod
    def _not_reserved(cls, slug: str) -> str:
        if slug in RESERVED_SLUGS:
            raise ValueError(f"'{slug}' is reserved")
        return slug

    display_name: str = Field(min_length=1, max_length=100)
    licence: Licence
    contract: ContractTerms
    administrator: Person
    locale: Locale = Locale.DA


class Tenant(TenantDocument):
    """A tenant as the API shows it: its document and its slug."""

    slug: str
    status: TenantStatus
    licence: Licence


class TenantCreated(Model):
    tenant: Tenant
    administrator_uid: str


class TenantList(Model):
    tenants: list[Tenant]


# -- contracts (SPEC K-1 ... K-3) ---------------------------------------------------------


class ContractView(Model):
    contract: Contract
    licence: Licence | None


class CancellationRequest(Strict):
    received_at: Moment | None = Field(
        default=None, description="when the written cancellation was received; default now"
    )


class CancellationReceived(Model):
    cancellation: CancellationRecord
    detail: str


class PaymentDemandCreate(Strict):
    invoice_number: str = Field(min_length=1, max_length=50)
    amount_dkk: Decimal = Field(gt=0, le=100_000_000, decimal_places=2)
    due_on: date = Field(description="the invoice's original due date")
    note: str | None = Field(default=None, max_length=2000)


class PaymentDemand(PaymentDemandCreate):
    id: str
    recorded_at: datetime
    recorded_by: str
    sent_to: list[str]


class Suspension(Strict):
    """Why a tenant is suspended: non-payment (after a written demand at least 10 days
    old) or a security incident (no demand; a note says what happened)."""

    reason: Literal["non_payment", "security"]
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _security_says_why(self) -> Self:
        if self.reason == "security" and not (self.note or "").strip():
            raise ValueError("a suspension for security needs a note")
        return self


class StaffGrant(Strict):
    email: Annotated[EmailStr, AfterValidator(_lower)]
    display_name: str = Field(min_length=1, max_length=100)
    # "support": the supplier's support staff (tickets only; never an owner's rights).
    role: Literal["owner", "support"] = "owner"
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern, description="SMS alerts")


class StaffMember(Model):
    uid: str
    email: str
    display_name: str
    role: str = "owner"
    status: str
    granted_by: str | None
    granted_at: datetime | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_due: datetime | None
    lapsed: bool
    revoked_by: str | None
    revoked_at: datetime | None


class StaffList(Model):
    staff: list[StaffMember]


class OwnerAccess(Model):
    uid: str
    email: str
    at: datetime
    purpose: str


class OwnerAccessList(Model):
    accesses: list[OwnerAccess]


class MissingDpa(Model):
    slug: str
    status: str
    contract_record: bool
    dpa: bool = Field(description="a DPA is recorded")
    subprocessor_approvals: bool = Field(description="its sub-processor approvals are recorded")


class MissingDpaReport(Model):
    """Tenants that may hold personal data without a recorded DPA or without recorded
    sub-processor approvals (legacy tenants); recording the DPA settles both."""

    tenants: list[MissingDpa]


class UserStatus(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class UserCreate(Person):
    role: Literal[Role.PROFESSIONAL, Role.ADMIN] = Role.PROFESSIONAL


class User(Model):
    uid: str
    email: str
    display_name: str
    phone: str | None = None
    role: Role
    status: UserStatus
    created_at: datetime
    photo_object: str | None = None


class Seats(Model):
    licensed: int | None  # None: the licence covers every professional
    used: int
    free: int | None


class UserList(Model):
    users: list[User]
    seats: Seats


class UserUpdate(Patch):
    keep: ClassVar[tuple[str, ...]] = ("email", "display_name")

    email: Annotated[EmailStr, AfterValidator(_lower)] | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern)  # null clears it


class ProfileUpdate(UserUpdate):
    password: SecretStr | None = Field(default=None, min_length=10, max_length=128)


class PhotoUploadRequest(Strict):
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    size: int = Field(ge=1, le=PHOTO_MAX_BYTES)


class PhotoUpload(Model):
    upload_url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    object: str
    expires_at: datetime


class Photo(Model):
    object: str
    download_url: str


class EntraConfig(Strict):
    directory_id: UUID = Field(description="the customer's Entra ID tenant (directory) id")
    client_id: UUID = Field(description="the app registration's client id")
    client_secret: SecretStr = Field(min_length=1)


class SignInChange(Strict):
    mfa_required: bool | None = None
    entra: EntraConfig | None = None
    saml: SamlConfig | None = Field(default=None, description="ADFS or another SAML 2.0 provider")


class SignInConfig(Model):
    """What the sign-in page of <slug>.trivsel.dk needs; public."""

    slug: str
    display_name: str
    status: TenantStatus
    providers: list[str]
    mfa_required: bool


class PasswordResetRequest(Strict):
    email: Annotated[EmailStr, AfterValidator(_lower)]


class PasswordResetJob(Strict):
    """The body of the Cloud Task that answers a forgotten password, off the request path."""

    email: Annotated[EmailStr, AfterValidator(_lower)]


class Accepted(Model):
    detail: str


class MyExport(Model):
    """A user's own data (GDPR Art. 15, 20): functions/auth/my_export.py says what and why."""

    exported_at: datetime
    tenant_id: str
    user: dict[str, object]
    log: list[dict[str, object]]  # every event the user is the actor of
    about_me: list[dict[str, object]]  # every event about the user's account
    tickets_reported: list[dict[str, object]]
    clients_created: list[dict[str, object]]  # ids and dates: the clients are the controller's
    courses_assigned: list[dict[str, object]]
    data_subject_requests_registered: list[dict[str, object]]
    own_wellbeing_checks: list[dict[str, object]]  # their own WHO-5 answers and scores
    own_programme: list[dict[str, object]]  # the course they follow for themselves, if any
