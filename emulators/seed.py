"""The demo data `make up` seeds: one tenant, its administrator and a professional,
and the supplier's system owner. Safe to run again (it resets passwords)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime

from shared.principal import Role


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    display_name: str
    seats: int


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    role: Role
    display_name: str


DEMO_TENANT = DemoTenant("demo", "Demo Kommune", seats=5)
# Demo passwords are for the local emulators only; they exist nowhere else.
DEMO_USERS = (
    DemoUser("admin@demo.trivsel.dk", "Demo-admin-2026", Role.ADMIN, "Anne Administrator"),
    DemoUser(
        "fagperson@demo.trivsel.dk", "Demo-fagperson-2026", Role.PROFESSIONAL, "Frederik Fagperson"
    ),
    DemoUser("systemejer@trivsel.dk", "Demo-systemejer-2026", Role.OWNER, "Sofie Systemejer"),
)


def seed_demo(env: dict[str, str]) -> None:
    os.environ.update(env)
    from firebase_admin import auth

    from functions.auth import tenants
    from functions.auth.models import AddOn, Licence, Tenant, User, UserStatus
    from shared.gcp import firebase_app, firestore_client
    from shared.principal import ROLE_CLAIM, TENANT_CLAIM, TenantStatus
    from shared.tenancy import TenantData

    now = datetime.now(UTC)
    data = TenantData(firestore_client(), DEMO_TENANT.tenant_id)
    members = [u for u in DEMO_USERS if u.role is not Role.OWNER]
    tenant = Tenant(
        slug=DEMO_TENANT.tenant_id,
        display_name=DEMO_TENANT.display_name,
        status=TenantStatus.ACTIVE,
        created_at=now,
        seats_used=sum(u.role is Role.PROFESSIONAL for u in members),
        licence=Licence(
            seats=DEMO_TENANT.seats,
            period_start=date(now.year, 1, 1),
            period_end=date(now.year, 12, 31),
            focus_areas=["angst", "sorg", "trivsel"],
            add_ons=[AddOn.VR, AddOn.SMS_MFA],
        ),
    )
    data.root.set(tenants.to_document(tenant))
    app = firebase_app()
    for user in DEMO_USERS:
        try:
            record = auth.get_user_by_email(user.email, app=app)
            auth.update_user(
                record.uid,
                password=user.password,
                display_name=user.display_name,
                disabled=False,
                app=app,
            )
        except auth.UserNotFoundError:
            record = auth.create_user(
                email=user.email,
                password=user.password,
                display_name=user.display_name,
                email_verified=True,
                app=app,
            )
        claims = {ROLE_CLAIM: user.role.value}
        if user.role is not Role.OWNER:
            claims[TENANT_CLAIM] = DEMO_TENANT.tenant_id
            profile = User(
                uid=record.uid,
                email=user.email,
                display_name=user.display_name,
                role=user.role,
                status=UserStatus.ACTIVE,
                created_at=now,
            )
            data.document(tenants.USERS, record.uid).set(profile.model_dump(exclude={"uid"}))
        auth.set_custom_user_claims(record.uid, claims, app=app)
