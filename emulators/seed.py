"""The demo tenant that `make up` seeds: one tenant, its administrator and a professional."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.principal import ROLE_CLAIM, TENANT_CLAIM, Role, TenantStatus


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
)


def seed_demo(env: dict[str, str]) -> None:
    """Create (or reset) the demo tenant and its users; safe to run again."""
    os.environ.update(env)
    from firebase_admin import auth

    from shared.gcp import firebase_app, firestore_client
    from shared.tenancy import TENANTS

    now = datetime.now(UTC)
    firestore_client().collection(TENANTS).document(DEMO_TENANT.tenant_id).set(
        {
            "display_name": DEMO_TENANT.display_name,
            "status": TenantStatus.ACTIVE.value,
            "licence": {
                "seats": DEMO_TENANT.seats,
                "period_start": datetime(now.year, 1, 1, tzinfo=UTC),
                "period_end": datetime(now.year, 12, 31, tzinfo=UTC),
                "focus_areas": ["angst", "trivsel", "sorg"],
                "add_ons": ["vr"],
            },
            "created_at": now,
        }
    )
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
        claims = {TENANT_CLAIM: DEMO_TENANT.tenant_id, ROLE_CLAIM: user.role.value}
        auth.set_custom_user_claims(record.uid, claims, app=app)
        firestore_client().collection(TENANTS).document(DEMO_TENANT.tenant_id).collection(
            "users"
        ).document(record.uid).set(
            {
                "email": user.email,
                "display_name": user.display_name,
                "role": user.role.value,
                "created_at": now,
            }
        )
