"""Kill tests of a user creation, which spans Auth and Firestore (issue 19, item 4): a
user ends in both or, after the nightly maintenance, in neither; a seat counts once."""

from __future__ import annotations

from typing import Any

import pytest
from firebase_admin import auth

from shared.gcp import firebase_app, firestore_client
from shared.member_creation import MEMBER_CREATIONS
from shared.tenancy import TenantData
from tests.accounts import active_tenant, auth_has
from tests.crash import crash_at, expire_leases, run_maintenance_later
from tests.helpers import call, unique

pytestmark = pytest.mark.usefixtures("stack")
API = "/auth_api"
POINTS = [
    "http.after_claim",
    "users.create.reserved",
    "users.create.account_created",
    "users.create.claims_set",
    "users.create.completed",
    "users.create.welcomed",
    "http.before_finish",
]


@pytest.fixture(scope="module")
def org(owner: str) -> dict[str, Any]:
    created = active_tenant(owner, seats=40)
    return {**created, "data": TenantData(firestore_client(), created["slug"])}


def _seats(data: TenantData) -> int:
    return int(data.root.get().get("seats_used"))


def _members(data: TenantData, email: str) -> list[Any]:
    return [s for s in data.collection("users").get() if s.get("email") == email]


@pytest.mark.parametrize("recovery", ["retry", "maintenance"])
@pytest.mark.parametrize("point", POINTS)
def test_a_user_creation_killed_at_any_point_ends_whole_or_rolled_back_with_one_seat(
    org: dict[str, Any], point: str, recovery: str
) -> None:
    data, email = org["data"], f"{unique('crash')}@example.dk"
    body = {"email": email, "display_name": "Kim Krak", "phone": "+4520304050"}
    key = {"Idempotency-Key": unique("key")}
    before = _seats(data)

    crash_at(point, "POST", f"{API}/users", org["admin_token"], json=body, headers=key)

    members = _members(data, email)
    if members:  # completed before the crash: whole, and counted once
        assert auth_has(email)
        assert _seats(data) == before + 1
    if recovery == "retry":
        expire_leases()
        retried = call("POST", f"{API}/users", org["admin_token"], json=body, headers=key)
        assert retried.status_code == 201, retried.text
        [member] = _members(data, email)
        assert retried.json()["uid"] == member.id
        account = auth.get_user(member.id, app=firebase_app())
        assert account.email == email
        assert account.custom_claims == {"tenant_id": data.tenant_id, "role": "professional"}
        assert _seats(data) == before + 1
        welcome = data.document("messages", f"welcome-{member.id}").get()
        assert welcome.exists
    else:
        run_maintenance_later()
        if members:
            [member] = _members(data, email)
            assert auth.get_user(member.id, app=firebase_app()).email == email
            assert _seats(data) == before + 1
        else:  # rolled back: nothing in Auth, nothing in Firestore, the seat free
            assert not auth_has(email)
            assert _members(data, email) == []
            assert _seats(data) == before
    assert list(data.collection(MEMBER_CREATIONS).list_documents()) == []
