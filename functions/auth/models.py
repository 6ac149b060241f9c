"""Request and response models of auth_api: tenants, licences, users, profiles, sign-in."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from shared.messaging.models import E164_PATTERN, Locale
from shared.principal import Role, TenantStatus
from shared.tenancy import TENANT_ID_PATTERN

MAX_SEATS = 10_000
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


class AddOn(StrEnum):
    VR = "vr"
    SMS_MFA = "sms_mfa"
    ENTRA_ID = "entra_id"


class Licence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seats: int = Field(ge=0, le=MAX_SEATS, description="professional seats")
    period_start: date
    period_end: date
    focus_areas: list[str] = Field(default=[], max_length=100)
    add_ons: list[AddOn] = []
    # An agreed ceiling on clients (SkoleRo): usage above it is reported, never blocked.
    client_ceiling: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _period_and_areas(self) -> Self:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        for area in self.focus_areas:
            if not TENANT_ID_PATTERN.fullmatch(area):
                raise ValueError(f"focus area {area!r} is not a lower-case slug")
        self.focus_areas = sorted(set(self.focus_areas))
        self.add_ons = sorted(set(self.add_ons))
        return self


def _lower(email: str) -> str:
    return email.lower()  # Firebase keeps addresses lower-case; so do we, everywhere


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[EmailStr, AfterValidator(_lower)]
    display_name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern)


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=TENANT_ID_PATTERN.pattern, description="a DNS label")

    @field_validator("slug")
    @classmethod
    def _not_reserved(cls, slug: str) -> str:
        if slug in RESERVED_SLUGS:
            raise ValueError(f"'{slug}' is reserved")
        return slug

    display_name: str = Field(min_length=1, max_length=100)
    licence: Licence
    administrator: Person
    locale: Locale = Locale.DA


class SignInSettings(BaseModel):
    mfa_required: bool = False
    entra_provider_id: str | None = None  # "oidc.entra-<slug>" once configured


class Tenant(BaseModel):
    slug: str
    display_name: str
    status: TenantStatus
    licence: Licence
    seats_used: int
    locale: Locale = Locale.DA
    sign_in: SignInSettings = SignInSettings()
    created_at: datetime
    suspended_at: datetime | None = None
    terminated_at: datetime | None = None
    # T-4: after termination the administrator may export for 90 days; then it is erased.
    export_available_until: datetime | None = None


class TenantCreated(BaseModel):
    tenant: Tenant
    administrator_uid: str


class TenantList(BaseModel):
    tenants: list[Tenant]


class UserStatus(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class UserCreate(Person):
    role: Literal[Role.PROFESSIONAL, Role.ADMIN] = Role.PROFESSIONAL


class User(BaseModel):
    uid: str
    email: str
    display_name: str
    phone: str | None = None
    role: Role
    status: UserStatus
    created_at: datetime
    photo_object: str | None = None


class Seats(BaseModel):
    licensed: int
    used: int
    free: int


class UserList(BaseModel):
    users: list[User]
    seats: Seats


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[EmailStr, AfterValidator(_lower)] | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern)  # null clears it

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one of email, display_name, phone")
        for name in ("email", "display_name"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed")
        return self


class ProfileUpdate(UserUpdate):
    password: SecretStr | None = Field(default=None, min_length=10, max_length=128)


class PhotoUploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    size: int = Field(ge=1, le=PHOTO_MAX_BYTES)


class PhotoUpload(BaseModel):
    upload_url: str
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str]
    object: str
    expires_at: datetime


class Photo(BaseModel):
    object: str
    download_url: str


class EntraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    directory_id: UUID = Field(description="the customer's Entra ID tenant (directory) id")
    client_id: UUID = Field(description="the app registration's client id")
    client_secret: SecretStr = Field(min_length=1)


class SignInChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mfa_required: bool | None = None
    entra: EntraConfig | None = None


class SignInConfig(BaseModel):
    """What the sign-in page of <slug>.trivsel.dk needs; public."""

    slug: str
    display_name: str
    status: TenantStatus
    providers: list[str]
    mfa_required: bool


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[EmailStr, AfterValidator(_lower)]


class Accepted(BaseModel):
    detail: str
