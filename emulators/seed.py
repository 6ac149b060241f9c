"""The demo data `make up` seeds: one tenant, its administrator and a professional,
and the supplier's system owner. Safe to run again (it resets passwords)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

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


DEMO_CATALOGUE = Path(__file__).with_name("demo_catalogue.json")


def seed_catalogue() -> None:
    """The Danish demo catalogue, through the same code the owner's API uses."""
    from functions.clients.catalogue import Kind, put_item
    from shared.gcp import storage_client
    from shared.storage import UPLOADS, bucket_name

    catalogue = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))
    bucket = storage_client().bucket(bucket_name(UPLOADS))
    for name, text in catalogue["document_texts"].items():
        bucket.blob(name).upload_from_string(text.encode(), content_type="text/plain")
    for kind in (Kind.FOCUS_AREAS, Kind.EXERCISES, Kind.COURSES, Kind.DOCUMENTS, Kind.VIDEOS):
        for item_id, item in catalogue[kind.value].items():
            put_item(kind, item_id, item)


def seed_demo(env: dict[str, str]) -> None:
    os.environ.update(env)
    seed_catalogue()
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
