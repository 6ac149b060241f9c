"""Request and response models of auth_api: tenants, licences, users, profiles, sign-in."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, EmailStr, Field, SecretStr, model_validator

from shared.messaging.models import E164_PATTERN, Locale
from shared.principal import Role, TenantStatus
from shared.tenancy import TENANT_ID_PATTERN

MAX_SEATS = 10_000
FOCUS_AREA = r"^[a-z0-9][a-z0-9-]{0,62}$"
PHOTO_MAX_BYTES = 2 * 1024 * 1024


class AddOn(StrEnum):
    VR = "vr"
    SMS_MFA = "sms_mfa"
    ENTRA_ID = "entra_id"


class Licence(BaseModel):
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


class Person(BaseModel):
    email: EmailStr
    display_name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern)


class TenantCreate(BaseModel):
    slug: str = Field(pattern=TENANT_ID_PATTERN.pattern, description="a DNS label")
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
    email: EmailStr | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one of email, display_name, phone")
        return self


class ProfileUpdate(UserUpdate):
    password: SecretStr | None = Field(default=None, min_length=10, max_length=128)


class PhotoUploadRequest(BaseModel):
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
    directory_id: UUID = Field(description="the customer's Entra ID tenant (directory) id")
    client_id: UUID = Field(description="the app registration's client id")
    client_secret: SecretStr = Field(min_length=1)


class SignInChange(BaseModel):
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
    email: EmailStr


class Accepted(BaseModel):
    detail: str
