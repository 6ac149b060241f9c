"""The supplier's staff register (owner role): grants, 6-monthly reviews, revocation,
and what a tenant's administrator sees of owner accesses to their tenant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from shared.members import (
    STAFF_REVIEWS_INTRODUCED,
    member_ref,
    staff_access_lapsed,
    staff_review_due,
)
from shared.principal import ROLE_CLAIM, TENANT_CLAIM, Role
from tests.accounts import API, owner_token, problem
from tests.helpers import PASSWORD, call, create_user, sign_in, token_payload, unique

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_an_access_lapses_at_exactly_six_months_after_its_last_review() -> None:
    reviewed = {
        "granted_at": NOW - timedelta(days=400),
        "reviewed_at": datetime(2025, 9, 10, 12, 0, tzinfo=UTC),
    }
    assert staff_access_lapsed(reviewed, NOW)  # 10 September + 6 months = 10 March, 12:00
    assert not staff_access_lapsed(reviewed, NOW - timedelta(seconds=1))
    granted_only = {"granted_at": datetime(2025, 9, 10, 12, 0, 1, tzinfo=UTC)}
    assert not staff_access_lapsed(granted_only, NOW)
    assert staff_access_lapsed({}, NOW)  # neither: fails closed


def test_a_record_from_before_the_register_counts_from_its_introduction_not_its_old_grant() -> None:
    """Deploying the register locks out no owner granted long ago (nor, with them, every
    owner who could review the others): without a review, the later of grant and
    introduction counts."""
    old = {"granted_at": datetime(2023, 5, 1, tzinfo=UTC)}  # no reviewed_at: before the register
    introduced = STAFF_REVIEWS_INTRODUCED
    assert not staff_access_lapsed(old, introduced)
    assert staff_review_due(old) == introduced + relativedelta(months=6)
    assert not staff_access_lapsed(old, introduced + relativedelta(months=6) - timedelta(seconds=1))
    assert staff_access_lapsed(old, introduced + relativedelta(months=6))
    # A grant after the introduction counts from the grant; a review always from the review.
    late = {"granted_at": introduced + timedelta(days=30)}
    assert staff_review_due(late) == introduced + timedelta(days=30) + relativedelta(months=6)
    reviewed = {**old, "reviewed_at": datetime(2023, 6, 1, tzinfo=UTC)}
    assert staff_access_lapsed(reviewed, introduced)


def _uid(token: str) -> str:
    return str(token_payload(token)["user_id"])


@pytest.mark.usefixtures("stack")
def test_an_overdue_owner_is_refused_until_another_owner_reviews_and_revoked_is_out() -> None:
    stale, reviewer = owner_token(), owner_token()
    member_ref(None, _uid(stale)).update({"reviewed_at": datetime.now(UTC) - timedelta(days=190)})
    problem(call("GET", f"{API}/tenants", stale), 403, "staff_review_overdue")
    listed = {m["uid"]: m for m in call("GET", f"{API}/staff", reviewer).json()["staff"]}
    assert listed[_uid(stale)]["lapsed"] is True
    assert listed[_uid(reviewer)]["lapsed"] is False
    problem(
        call("POST", f"{API}/staff/{_uid(reviewer)}/review", reviewer), 409, "invalid_transition"
    )

    reviewed = call("POST", f"{API}/staff/{_uid(stale)}/review", reviewer)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["reviewed_by"] == _uid(reviewer)
    assert call("GET", f"{API}/tenants", stale).status_code == 200

    assert call("POST", f"{API}/staff/{_uid(stale)}/revoke", reviewer).json()["revoked_by"]
    problem(call("GET", f"{API}/tenants", stale), 403, "account_disabled")


@pytest.mark.usefixtures("stack")
def test_an_owner_grants_the_role_and_the_register_says_by_whom(owner: str) -> None:
    email = f"{unique('staff')}@trivsel.dk"
    reply = call("POST", f"{API}/staff", owner, json={"email": email, "display_name": "Sofie"})
    assert reply.status_code == 201, reply.text
    granted = reply.json()
    assert (granted["email"], granted["granted_by"]) == (email, _uid(owner))
    assert granted["review_due"] is not None
    again = call("POST", f"{API}/staff", owner, json={"email": email, "display_name": "Sofie"})
    problem(again, 409, "invalid_transition")


@pytest.mark.usefixtures("stack")
def test_an_owner_grants_the_support_role_with_a_phone_and_it_carries_no_owner_rights(
    owner: str,
) -> None:
    from firebase_admin import auth

    from shared.gcp import firebase_app

    email = f"{unique('support')}@trivsel.dk"
    body = {"email": email, "display_name": "Sara", "role": "support", "phone": "+4512345678"}
    reply = call("POST", f"{API}/staff", owner, json=body)
    assert reply.status_code == 201, reply.text
    granted = reply.json()
    assert (granted["role"], granted["granted_by"]) == ("support", _uid(owner))
    claims = auth.get_user_by_email(email, app=firebase_app()).custom_claims
    assert claims == {ROLE_CLAIM: "support"}
    assert (member_ref(None, granted["uid"]).get().to_dict() or {})["phone"] == "+4512345678"
    # The grantee signs in (after choosing a password) and is no owner.
    auth.update_user(granted["uid"], password=PASSWORD, app=firebase_app())
    support = sign_in(email, PASSWORD)
    problem(call("GET", f"{API}/tenants", support), 403, "forbidden")
    assert call("GET", "/support_tickets/queue", support).status_code == 200
    # Only the supplier's two roles can be granted, and a phone must be E.164.
    for wrong in ({"role": "admin"}, {"role": "support", "phone": "12345678"}):
        refused = call("POST", f"{API}/staff", owner, json=body | wrong | {"email": f"x{email}"})
        assert refused.status_code == 422, refused.text
        with pytest.raises(auth.UserNotFoundError):
            auth.get_user_by_email(f"x{email}", app=firebase_app())


def test_an_administrator_sees_every_owner_access_to_their_tenant_and_no_other(
    owner: str, tenant: dict[str, Any], org: dict[str, Any]
) -> None:
    a, b = tenant, org  # two tenants with their administrators
    assert call("GET", f"{API}/tenants/{a['slug']}", owner).status_code == 200
    seen_by_a = call("GET", f"{API}/tenant/owner-accesses", a["admin_token"]).json()["accesses"]
    purposes = {(x["uid"], x["purpose"]) for x in seen_by_a}
    assert (_uid(owner), "read tenant") in purposes
    assert (_uid(owner), "record DPA") in purposes
    assert {x["email"] for x in seen_by_a} == {token_payload(owner)["email"]}
    # Tenant B's administrator sees B's own accesses (its DPA) and nothing of A's.
    seen_by_b = call("GET", f"{API}/tenant/owner-accesses", b["admin_token"]).json()["accesses"]
    assert {x["purpose"] for x in seen_by_b} == {"record DPA"}
    assert not {x["at"] for x in seen_by_b} & {x["at"] for x in seen_by_a}
    problem(call("GET", f"{API}/tenant/owner-accesses", b["pro_token"]), 403, "forbidden")


@pytest.mark.usefixtures("stack")
def test_a_tenant_users_address_is_not_made_an_owner_and_the_grantee_signs_in_as_owner(
    owner: str, tenant: dict[str, Any]
) -> None:
    from firebase_admin import auth

    from shared.gcp import firebase_app

    user = create_user(tenant["slug"], Role.ADMIN)
    reply = call("POST", f"{API}/staff", owner, json={"email": user.email, "display_name": "X"})
    problem(reply, 409, "invalid_transition")
    claims = auth.get_user(user.uid, app=firebase_app()).custom_claims
    assert claims == {ROLE_CLAIM: "admin", TENANT_CLAIM: tenant["slug"]}
    assert not member_ref(None, user.uid).get().exists
    assert call("GET", f"{API}/me", user.sign_in()).status_code == 200  # still the admin

    # A granted address is an owner: its holder (with a password) signs in to owner routes.
    email = f"{unique('staff')}@trivsel.dk"
    granted = call("POST", f"{API}/staff", owner, json={"email": email, "display_name": "Ny"})
    assert granted.status_code == 201, granted.text
    auth.update_user(granted.json()["uid"], password=PASSWORD, app=firebase_app())
    assert call("GET", f"{API}/tenants", sign_in(email, PASSWORD)).status_code == 200
