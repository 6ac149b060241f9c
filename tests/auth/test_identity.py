"""Tenants, licences and users (issue: SPEC T-1 ... T-7) through auth_api on the stack."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from firebase_admin import auth

from shared.gcp import firebase_app, firestore_client
from shared.tenancy import TENANTS, TenantData
from tests.accounts import (
    API,
    SECURITY,
    activate,
    add_professional,
    auth_has,
    contract_terms,
    events,
    licence,
    link_in,
    problem,
    provision,
    set_password_with_link,
    welcome_link,
)
from tests.helpers import (
    PASSWORD,
    auth_url,
    call,
    emails_to,
    forge,
    sign_in,
    token_payload,
    unique,
    wait_until,
)
from tests.rules import Browser, allowed

pytestmark = pytest.mark.usefixtures("stack")
# -- provisioning, welcome and sign-in -----------------------------------------------------


def auth_account(uid: str) -> dict[str, Any]:
    """The Auth emulator's own record of an account (with its password hash, if any)."""
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    reply = requests.post(
        auth_url(f"/identitytoolkit.googleapis.com/v1/projects/{project}/accounts:lookup"),
        json={"localId": [uid]},
        headers={"Authorization": "Bearer owner"},
        timeout=10,
    ).json()
    [account] = reply["users"]
    return dict(account)


def test_provisioning_welcomes_the_administrator_with_a_one_time_link(owner: str) -> None:
    created = provision(owner, seats=4, add_ons=["vr"])
    assert created["tenant"]["status"] == "pending"  # until its DPA (recorded by provision)
    assert created["tenant"]["licence"]["seats"] == 4
    [mail] = wait_until(lambda: emails_to(created["admin_email"]))
    assert mail["subject"] == f"Velkommen til Trivsel hos {created['slug'].upper()} Kommune"
    assert "Vælg din adgangskode" in mail["body"]
    # No password exists yet that a mail could carry: the account is passwordless until the
    # administrator follows the one-time link (the emulator's fake hash would show one).
    assert "passwordHash" not in auth_account(created["admin_uid"])

    link = welcome_link(created["admin_email"])
    assert set_password_with_link(link, PASSWORD).status_code == 200
    assert "passwordHash" in auth_account(created["admin_uid"])  # the check can see one
    assert set_password_with_link(link, "Another-password-1").status_code == 400  # once only
    me = call("GET", f"{API}/me", sign_in(created["admin_email"], PASSWORD)).json()
    assert (me["role"], me["tenant_id"]) == ("admin", created["slug"])
    [provisioned] = [e for e in events(created["slug"]) if e["action"] == "tenant.provisioned"]
    assert provisioned["actor"] == token_payload(owner)["user_id"]


@pytest.mark.parametrize("slug", ["Esbjerg", "-esbjerg", "esbjerg-", "es_bjerg", "e" * 64, ""])
def test_an_invalid_slug_is_refused_and_nothing_is_created(owner: str, slug: str) -> None:
    email = f"{unique('admin')}@example.dk"
    reply = call(
        "POST",
        f"{API}/tenants",
        owner,
        json={
            "slug": slug,
            "display_name": "X",
            "licence": licence(),
            "contract": contract_terms(),
            "administrator": {"email": email, "display_name": "A"},
        },
    )
    body = problem(reply, 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["slug"]
    assert not auth_has(email)


def test_a_duplicate_slug_or_administrator_email_creates_nothing(owner: str) -> None:
    first = provision(owner)
    again = call(
        "POST",
        f"{API}/tenants",
        owner,
        json={
            "slug": first["slug"],
            "display_name": "Dublet",
            "licence": licence(),
            "contract": contract_terms(),
            "administrator": {"email": f"{unique('a')}@example.dk", "display_name": "A"},
        },
    )
    problem(again, 409, "slug_taken")
    assert TenantData(firestore_client(), first["slug"]).root.get().get("display_name") != "Dublet"

    slug = unique("k")
    taken = call(
        "POST",
        f"{API}/tenants",
        owner,
        json={
            "slug": slug,
            "display_name": "Y",
            "licence": licence(),
            "contract": contract_terms(),
            "administrator": {"email": first["admin_email"], "display_name": "A"},
        },
    )
    problem(taken, 409, "email_taken")
    assert not firestore_client().collection(TENANTS).document(slug).get().exists


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"seats": -1}, "licence.seats"),
        ({"period_end": "2000-01-01"}, "licence"),
        ({"add_ons": ["teleport"]}, "licence.add_ons.0"),
    ],
)
def test_an_invalid_licence_is_refused_field_by_field(
    owner: str, change: dict[str, Any], field: str
) -> None:
    reply = call(
        "POST",
        f"{API}/tenants",
        owner,
        json={
            "slug": unique("k"),
            "display_name": "X",
            "licence": {**licence(), **change},
            "contract": contract_terms(),
            "administrator": {"email": f"{unique('a')}@example.dk", "display_name": "A"},
        },
    )
    body = problem(reply, 422, "validation_failed")
    assert field in [e["field"] for e in body["errors"]]


# -- seats (T-3) -----------------------------------------------------------------------------


def test_professionals_beyond_the_licence_are_refused_and_nothing_is_created(
    tenant: dict[str, Any],
) -> None:
    admin = tenant["admin_token"]
    add_professional(admin)
    add_professional(admin)
    email = f"{unique('pro')}@example.dk"
    body = problem(
        call("POST", f"{API}/users", admin, json={"email": email, "display_name": "Tre"}),
        409,
        "licence_exhausted",
    )
    assert "contact the supplier" in body["detail"]
    assert not auth_has(email)
    listing = call("GET", f"{API}/users", admin).json()
    assert listing["seats"] == {"licensed": 2, "used": 2, "free": 0}
    assert email not in [u["email"] for u in listing["users"]]
    # An administrator takes no professional seat.
    other_admin = call(
        "POST",
        f"{API}/users",
        admin,
        json={"email": f"{unique('adm')}@example.dk", "display_name": "B", "role": "admin"},
    )
    assert other_admin.status_code == 201


def test_two_requests_racing_for_the_last_seat_one_wins(owner: str) -> None:
    created = provision(owner, seats=1)
    admin = activate(created["admin_email"])
    emails = [f"{unique('race')}@example.dk" for _ in range(2)]
    statuses: list[int] = []
    refusals: list[str] = []
    start = threading.Barrier(2)

    def create(email: str) -> None:
        start.wait()
        reply = call("POST", f"{API}/users", admin, json={"email": email, "display_name": "R"})
        statuses.append(reply.status_code)
        if reply.status_code != 201:
            refusals.append(reply.json()["code"])

    threads = [threading.Thread(target=create, args=(e,)) for e in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201, 409]
    assert refusals == ["licence_exhausted"]  # not a lost race: the seat was taken
    assert sum(auth_has(e) for e in emails) == 1
    users = call("GET", f"{API}/users", admin).json()
    assert [u["role"] for u in users["users"]].count("professional") == 1
    assert users["seats"]["used"] == 1


def test_freeing_a_seat_makes_room_and_a_duplicate_email_takes_none(tenant: dict[str, Any]) -> None:
    admin = tenant["admin_token"]
    first = add_professional(admin)
    problem(
        call("POST", f"{API}/users", admin, json={"email": first["email"], "display_name": "Igen"}),
        409,
        "email_taken",
    )
    assert call("GET", f"{API}/users", admin).json()["seats"]["used"] == 1
    second = add_professional(admin)
    assert call("DELETE", f"{API}/users/{second['uid']}", admin).status_code == 204
    assert not auth_has(second["email"])
    assert call("GET", f"{API}/users", admin).json()["seats"]["free"] == 1
    add_professional(admin)


# -- the administrator's work (T-5) ---------------------------------------------------------


def test_deactivation_takes_effect_at_once_and_reactivation_restores(
    tenant: dict[str, Any],
) -> None:
    admin = tenant["admin_token"]
    pro = add_professional(admin)
    token = activate(pro["email"])  # issued before the deactivation
    assert call("GET", f"{API}/me", token).status_code == 200
    time.sleep(1.1)  # revocation has one-second resolution

    deactivated = call("POST", f"{API}/users/{pro['uid']}/deactivate", admin)
    assert deactivated.json()["status"] == "deactivated"
    body = problem(call("GET", f"{API}/me", token), 403, "account_disabled")
    assert "administrator" in body["detail"]
    with pytest.raises(requests.HTTPError):
        sign_in(pro["email"], PASSWORD)

    assert call("POST", f"{API}/users/{pro['uid']}/reactivate", admin).json()["status"] == "active"
    problem(call("GET", f"{API}/me", token), 401, "token_revoked")  # old sessions stay ended
    assert call("GET", f"{API}/me", sign_in(pro["email"], PASSWORD)).status_code == 200


def test_the_administrator_edits_a_user_and_sends_a_reset_link(tenant: dict[str, Any]) -> None:
    admin = tenant["admin_token"]
    pro = add_professional(admin)
    new_email = f"{unique('ny')}@example.dk"
    edited = call(
        "PATCH",
        f"{API}/users/{pro['uid']}",
        admin,
        json={"email": new_email, "phone": "+4511223344"},
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["email"], edited.json()["phone"]) == (new_email, "+4511223344")
    assert auth.get_user(pro["uid"], app=firebase_app()).email == new_email
    problem(call("PATCH", f"{API}/users/{pro['uid']}", admin, json={}), 422, "validation_failed")
    problem(
        call("PATCH", f"{API}/users/{pro['uid']}", admin, json={"phone": "12"}),
        422,
        "validation_failed",
    )

    assert call("POST", f"{API}/users/{pro['uid']}/password-reset", admin).status_code == 204
    [mail] = wait_until(lambda: emails_to(new_email))
    assert mail["subject"] == "Nulstil din adgangskode til Trivsel"
    assert set_password_with_link(link_in(mail), "Brand-new-pass-1").status_code == 200
    assert sign_in(new_email, "Brand-new-pass-1")


def test_an_administrator_cannot_lock_the_tenant_out(tenant: dict[str, Any]) -> None:
    admin = tenant["admin_token"]
    problem(
        call("POST", f"{API}/users/{tenant['admin_uid']}/deactivate", admin),
        409,
        "invalid_transition",
    )
    problem(call("DELETE", f"{API}/me/profile", admin), 409, "invalid_transition")


def test_a_professional_cannot_do_administrator_work(tenant: dict[str, Any]) -> None:
    pro = add_professional(tenant["admin_token"])
    token = activate(pro["email"])
    for method, path, body in [
        ("GET", "/users", None),
        ("POST", "/users", {"email": "x@example.dk", "display_name": "X"}),
        ("GET", f"/users/{tenant['admin_uid']}", None),
        ("POST", f"/users/{tenant['admin_uid']}/deactivate", None),
        ("DELETE", f"/users/{tenant['admin_uid']}", None),
        ("PATCH", "/tenant/sign-in", {"mfa_required": True}),
    ]:
        problem(call(method, API + path, token, json=body), 403, "forbidden")


def test_an_administrator_cannot_do_owner_work(tenant: dict[str, Any]) -> None:
    admin = tenant["admin_token"]
    slug = tenant["slug"]
    for method, path, body in [
        ("GET", "/tenants", None),
        ("GET", f"/tenants/{slug}", None),
        (
            "POST",
            "/tenants",
            {
                "slug": unique("k"),
                "display_name": "X",
                "licence": licence(),
                "contract": contract_terms(),
                "administrator": {"email": "a@example.dk", "display_name": "A"},
            },
        ),
        ("PUT", f"/tenants/{slug}/licence", licence(seats=100)),
        ("POST", f"/tenants/{slug}/suspend", None),
        ("POST", f"/tenants/{slug}/reactivate", None),
        ("POST", f"/tenants/{slug}/terminate", None),
        ("PATCH", f"/tenants/{slug}/sign-in", {"mfa_required": True}),
    ]:
        problem(call(method, API + path, admin, json=body), 403, "forbidden")
    assert call("GET", f"{API}/users", admin).json()["seats"]["licensed"] == 2


# -- the owner: licence and subscription states (T-3, T-4) ------------------------------


def test_licence_changes_and_owner_access_are_audited(owner: str, tenant: dict[str, Any]) -> None:
    slug, admin = tenant["slug"], tenant["admin_token"]
    add_professional(admin)
    add_professional(admin)
    problem(
        call("PUT", f"{API}/tenants/{slug}/licence", owner, json=licence(seats=1)),
        409,
        "invalid_transition",
    )
    raised = call("PUT", f"{API}/tenants/{slug}/licence", owner, json=licence(seats=5))
    assert raised.json()["licence"]["seats"] == 5
    assert call("GET", f"{API}/users", admin).json()["seats"]["free"] == 3
    assert call("GET", f"{API}/tenants/{slug}", owner).json()["seats_used"] == 2
    owner_uid = token_payload(owner)["user_id"]
    purposes = [
        e["details"]["purpose"]
        for e in events(slug)
        if e["action"] == "owner.access" and e["actor"] == owner_uid
    ]
    # Every access is logged, the refused change included.
    assert sorted(purposes) == ["change licence", "change licence", "read tenant", "record DPA"]
    problem(call("GET", f"{API}/tenants/{unique('none')}", owner), 404, "not_found")


def test_a_suspended_tenant_is_refused_and_reactivation_loses_nothing(
    owner: str, tenant: dict[str, Any]
) -> None:
    slug, admin = tenant["slug"], tenant["admin_token"]
    pro = add_professional(admin)
    before = call("GET", f"{API}/users", admin).json()
    assert (
        call("POST", f"{API}/tenants/{slug}/suspend", owner, json=SECURITY).json()["status"]
        == "suspended"
    )
    for path in ("/me", "/users", f"/users/{pro['uid']}", "/me/profile"):
        problem(call("GET", API + path, admin), 403, "tenant_suspended")
    problem(
        call("POST", f"{API}/tenants/{slug}/suspend", owner, json=SECURITY),
        409,
        "invalid_transition",
    )
    assert call("POST", f"{API}/tenants/{slug}/reactivate", owner).json()["status"] == "active"
    assert call("GET", f"{API}/users", admin).json() == before


def test_termination_opens_a_90_day_export_period_and_is_final(
    owner: str, tenant: dict[str, Any]
) -> None:
    slug = tenant["slug"]
    ended = call("POST", f"{API}/tenants/{slug}/terminate", owner).json()
    terminated = datetime.fromisoformat(ended["terminated_at"])
    until = datetime.fromisoformat(ended["export_available_until"])
    assert until - terminated == timedelta(days=90)
    assert abs(terminated - datetime.now(UTC)) < timedelta(minutes=1)
    problem(call("GET", f"{API}/me", tenant["admin_token"]), 403, "tenant_terminated")
    problem(call("POST", f"{API}/tenants/{slug}/reactivate", owner), 409, "invalid_transition")


# -- every user: own profile (T-6) ---------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def professional(tenant: dict[str, Any]) -> dict[str, Any]:
    pro = add_professional(tenant["admin_token"])
    return {**pro, "token": activate(pro["email"])}


def test_a_user_edits_own_profile_and_password(professional: dict[str, Any]) -> None:
    token = professional["token"]
    changed = call(
        "PATCH", f"{API}/me/profile", token, json={"display_name": "Per P.", "phone": "+4599887766"}
    )
    assert (changed.json()["display_name"], changed.json()["phone"]) == ("Per P.", "+4599887766")
    assert call("GET", f"{API}/me/profile", token).json()["phone"] == "+4599887766"

    assert (
        call(
            "PATCH", f"{API}/me/profile", token, json={"password": "Helt-nyt-kodeord-9"}
        ).status_code
        == 200
    )
    # A new password ends older sessions (at one-second resolution): sign in afresh.
    fresh = sign_in(professional["email"], "Helt-nyt-kodeord-9")
    problem(
        call("PATCH", f"{API}/me/profile", fresh, json={"password": "kort"}),
        422,
        "validation_failed",
    )


def test_changing_password_or_email_needs_a_recent_sign_in(professional: dict[str, Any]) -> None:
    token = professional["token"]
    claims = token_payload(token)
    stale = forge(token, auth_time=claims["auth_time"] - 3600)
    problem(
        call("PATCH", f"{API}/me/profile", stale, json={"password": "Helt-nyt-kodeord-9"}),
        401,
        "reauthentication_required",
    )
    problem(
        call("PATCH", f"{API}/me/profile", stale, json={"email": "ny@example.dk"}),
        401,
        "reauthentication_required",
    )
    assert call("PATCH", f"{API}/me/profile", stale, json={"phone": "+4512121212"}).ok


def test_a_profile_picture_is_uploaded_by_signed_url_and_checked(
    professional: dict[str, Any], tenant: dict[str, Any]
) -> None:
    token = professional["token"]
    upload = call(
        "POST",
        f"{API}/me/photo-upload",
        token,
        json={"content_type": "image/png", "size": len(PNG)},
    ).json()
    prefix = f"{tenant['slug']}/users/{professional['uid']}/"
    assert upload["object"] == prefix + "profile-picture-upload"  # checked before it is used
    put = requests.put(upload["upload_url"], data=PNG, headers=upload["headers"], timeout=10)
    assert put.status_code in (200, 201), put.text
    photo = call("POST", f"{API}/me/photo", token)
    assert photo.status_code == 200, photo.text
    assert requests.get(photo.json()["download_url"], timeout=10).content == PNG
    assert photo.json()["object"] == prefix + "profile-picture"
    assert call("GET", f"{API}/me/profile", token).json()["photo_object"] == prefix + (
        "profile-picture"
    )


def test_a_file_that_is_not_an_image_is_refused_and_removed(professional: dict[str, Any]) -> None:
    token = professional["token"]
    fake = b"#!/bin/sh\necho not a picture\n"
    upload = call(
        "POST",
        f"{API}/me/photo-upload",
        token,
        json={"content_type": "image/png", "size": len(fake)},
    ).json()
    requests.put(upload["upload_url"], data=fake, headers=upload["headers"], timeout=10)
    problem(call("POST", f"{API}/me/photo", token), 422, "not_an_image")
    problem(call("POST", f"{API}/me/photo", token), 404, "not_found")  # it was deleted
    for bad in (
        {"content_type": "application/pdf", "size": 10},
        {"content_type": "image/png", "size": 50 * 1024 * 1024},
    ):
        problem(call("POST", f"{API}/me/photo-upload", token, json=bad), 422, "validation_failed")


def test_deleting_own_profile_removes_the_account_and_frees_the_seat(
    professional: dict[str, Any], tenant: dict[str, Any]
) -> None:
    admin = tenant["admin_token"]
    assert call("GET", f"{API}/users", admin).json()["seats"]["used"] == 1
    assert call("DELETE", f"{API}/me/profile", professional["token"]).status_code == 204
    assert not auth_has(professional["email"])
    listing = call("GET", f"{API}/users", admin).json()
    assert listing["seats"]["used"] == 0
    assert professional["uid"] not in [u["uid"] for u in listing["users"]]
    # The log keeps the uid as a de-identified actor: no name, no e-mail.
    own = [e for e in events(tenant["slug"]) if e["actor"] == professional["uid"]]
    assert own
    assert professional["email"] not in str(own)
    assert "Per Fagperson" not in str(own)


# -- sign-in (T-7) ---------------------------------------------------------------------------


def test_forgot_password_sends_a_reset_link_without_telling_who_exists(
    professional: dict[str, Any],
) -> None:
    known = call("POST", f"{API}/password-reset", json={"email": professional["email"]})
    unknown_email = f"{unique('nobody')}@example.dk"
    unknown = call("POST", f"{API}/password-reset", json={"email": unknown_email})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    mails = wait_until(
        lambda: [
            m
            for m in emails_to(professional["email"])
            if m["subject"] == "Nulstil din adgangskode til Trivsel"
        ]
    )
    link = link_in(mails[0])
    assert set_password_with_link(link, "Glemt-og-fundet-1").status_code == 200
    assert sign_in(professional["email"], "Glemt-og-fundet-1")
    assert emails_to(unknown_email) == []
    problem(call("POST", f"{API}/password-reset", json={"email": "nope"}), 422, "validation_failed")


def test_sign_in_configuration_by_slug_and_sms_second_factor(owner: str) -> None:
    created = provision(owner, add_ons=["sms_mfa"])
    slug = created["slug"]
    admin = activate(created["admin_email"])
    config = call("GET", f"{API}/sign-in/{slug}").json()
    assert config == {
        "slug": slug,
        "display_name": f"{slug.upper()} Kommune",
        "status": "active",
        "providers": ["password"],
        "mfa_required": False,
    }
    problem(call("GET", f"{API}/sign-in/{unique('none')}"), 404, "not_found")
    problem(call("GET", f"{API}/sign-in/Not.A.Slug"), 404, "not_found")

    assert call("PATCH", f"{API}/tenant/sign-in", admin, json={"mfa_required": True}).ok
    assert call("GET", f"{API}/sign-in/{slug}").json()["mfa_required"] is True
    # What that means at sign-in: test_sms_second_factor_end_to_end_against_the_auth_emulator


def test_add_ons_gate_second_factor_and_entra_id(owner: str) -> None:
    plain = provision(owner)
    admin = activate(plain["admin_email"])
    problem(
        call("PATCH", f"{API}/tenant/sign-in", admin, json={"mfa_required": True}), 403, "forbidden"
    )
    entra = {
        "directory_id": "8c5d2a1e-7a0b-4a3c-9d3e-1f2e3d4c5b6a",
        "client_id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        "client_secret": "s3cret",
    }
    problem(call("PATCH", f"{API}/tenant/sign-in", admin, json={"entra": entra}), 403, "forbidden")

    licensed = provision(owner, add_ons=["entra_id"])
    admin = activate(licensed["admin_email"])
    problem(
        call(
            "PATCH",
            f"{API}/tenant/sign-in",
            admin,
            json={"entra": {**entra, "client_id": "not-a-uuid"}},
        ),
        422,
        "validation_failed",
    )
    changed = call("PATCH", f"{API}/tenant/sign-in", admin, json={"entra": entra})
    assert changed.status_code == 200, changed.text
    assert "s3cret" not in changed.text
    providers = call("GET", f"{API}/sign-in/{licensed['slug']}").json()["providers"]
    assert providers == ["password", f"oidc.entra-{licensed['slug']}"]


# -- tenant isolation: a user of tenant B against tenant A ---------------------------------


def test_tenant_b_reaches_nothing_of_tenant_a(owner: str, tenant: dict[str, Any]) -> None:
    victim = add_professional(tenant["admin_token"])
    other = provision(owner)
    intruder = activate(other["admin_email"])
    intruder_pro = add_professional(intruder)
    intruder_pro_token = activate(intruder_pro["email"])
    a_uid = victim["uid"]
    for token in (intruder, intruder_pro_token):
        for method, path, body in [
            ("GET", f"/users/{a_uid}", None),
            ("PATCH", f"/users/{a_uid}", {"display_name": "Hacked"}),
            ("POST", f"/users/{a_uid}/password-reset", None),
            ("POST", f"/users/{a_uid}/deactivate", None),
            ("POST", f"/users/{a_uid}/reactivate", None),
            ("DELETE", f"/users/{a_uid}", None),
            ("GET", f"/tenants/{tenant['slug']}", None),
            ("PUT", f"/tenants/{tenant['slug']}/licence", licence(seats=99)),
            ("POST", f"/tenants/{tenant['slug']}/suspend", None),
            ("PATCH", f"/tenants/{tenant['slug']}/sign-in", {"mfa_required": False}),
        ]:
            reply = call(method, API + path, token, json=body)
            # Another tenant's user is simply not there; owner routes are not theirs at all.
            admin_route = path.startswith("/users/") and token == intruder
            expected = 404 if admin_route else 403
            assert reply.status_code == expected, (method, path, reply.status_code)
            assert victim["email"] not in reply.text
            assert tenant["slug"] not in reply.text.replace(path, "")
        own = call("GET", f"{API}/tenant", token).json()
        assert own["slug"] == other["slug"]
    # A's user is untouched, and A's administrator still sees them.
    check = call("GET", f"{API}/users/{a_uid}", tenant["admin_token"]).json()
    assert (check["display_name"], check["status"]) == ("Per Fagperson", "active")
    assert auth_has(victim["email"])

    # A token of B with A's tenant written into it is refused outright.
    forged = forge(intruder, tenant_id=tenant["slug"])
    problem(call("GET", f"{API}/users/{a_uid}", forged), 401, "invalid_token")

    # And in the browser, under firestore.rules:
    b_admin = Browser(token_payload(intruder)["user_id"], other["slug"], "admin")
    for path in (
        f"{TENANTS}/{tenant['slug']}",
        f"{TENANTS}/{tenant['slug']}/users/{a_uid}",
        f"{TENANTS}/{tenant['slug']}/users",
    ):
        assert not allowed(b_admin.get(path)), path
        assert not allowed(b_admin.write(f"{TENANTS}/{tenant['slug']}/users/{a_uid}"))


def test_rules_let_an_administrator_read_the_tenants_users_and_a_professional_only_self(
    tenant: dict[str, Any], professional: dict[str, Any]
) -> None:
    slug = tenant["slug"]
    admin = Browser(tenant["admin_uid"], slug, "admin")
    pro = Browser(professional["uid"], slug, "professional")
    assert allowed(admin.get(f"{TENANTS}/{slug}/users/{professional['uid']}"))
    assert allowed(admin.get(f"{TENANTS}/{slug}/users"))
    assert allowed(pro.get(f"{TENANTS}/{slug}/users/{professional['uid']}"))
    assert not allowed(pro.get(f"{TENANTS}/{slug}/users/{tenant['admin_uid']}"))
    assert not allowed(pro.get(f"{TENANTS}/{slug}/users"))
    assert not allowed(
        admin.write(f"{TENANTS}/{slug}/users/{professional['uid']}", {"role": "admin"})
    )


def _verification_code(session_info: str) -> str:
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    codes = requests.get(
        auth_url(f"/emulator/v1/projects/{project}/verificationCodes"), timeout=10
    ).json()["verificationCodes"]
    return str(next(c["code"] for c in codes if c["sessionInfo"] == session_info))


def _identity(path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = requests.post(
        auth_url(f"/identitytoolkit.googleapis.com/v2/{path}?key=any"), json=body, timeout=10
    )
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


def test_sms_second_factor_end_to_end_against_the_auth_emulator(owner: str) -> None:
    created = provision(owner, add_ons=["sms_mfa"])
    admin = activate(created["admin_email"])
    phone = "+4531415926"
    # The user enrols a phone (with Firebase directly, as the frontend does) ...
    started = _identity(
        "accounts/mfaEnrollment:start",
        {"idToken": admin, "phoneEnrollmentInfo": {"phoneNumber": phone}},
    )
    session = started["phoneSessionInfo"]["sessionInfo"]
    _identity(
        "accounts/mfaEnrollment:finalize",
        {
            "idToken": admin,
            "phoneVerificationInfo": {"sessionInfo": session, "code": _verification_code(session)},
        },
    )
    assert call(
        "PATCH",
        f"{API}/tenant/sign-in",
        sign_in_with_sms(created["admin_email"]),
        json={"mfa_required": True},
    ).ok

    # ... and from now on only a sign-in with the SMS code is let in.
    problem(call("GET", f"{API}/me", admin), 403, "second_factor_required")
    assert call("GET", f"{API}/me", sign_in_with_sms(created["admin_email"])).status_code == 200


def sign_in_with_sms(email: str) -> str:
    first = requests.post(
        auth_url("/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any"),
        json={"email": email, "password": PASSWORD, "returnSecureToken": True},
        timeout=10,
    ).json()
    pending = first["mfaPendingCredential"]
    enrolment = first["mfaInfo"][0]["mfaEnrollmentId"]
    started = _identity(
        "accounts/mfaSignIn:start",
        {
            "mfaPendingCredential": pending,
            "mfaEnrollmentId": enrolment,
            "phoneSignInInfo": {"phoneNumber": first["mfaInfo"][0].get("phoneInfo", "")},
        },
    )
    session = started["phoneResponseInfo"]["sessionInfo"]
    done = _identity(
        "accounts/mfaSignIn:finalize",
        {
            "mfaPendingCredential": pending,
            "phoneVerificationInfo": {"sessionInfo": session, "code": _verification_code(session)},
        },
    )
    return str(done["idToken"])


# -- refusals found in review ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{"email": None}, {"display_name": None}, {"role": "admin"}, {"email": "not-an-address"}],
)
def test_bad_profile_changes_are_refused_and_nothing_changes(
    professional: dict[str, Any], body: dict[str, Any]
) -> None:
    token = professional["token"]
    before = call("GET", f"{API}/me/profile", token).json()
    problem(call("PATCH", f"{API}/me/profile", token, json=body), 422, "validation_failed")
    assert call("GET", f"{API}/me/profile", token).json() == before


def test_users_cannot_be_created_with_another_role_or_unknown_fields(
    tenant: dict[str, Any],
) -> None:
    admin = tenant["admin_token"]
    for body in (
        {"email": "o@example.dk", "display_name": "O", "role": "owner"},
        {"email": "o@example.dk", "display_name": "O", "tenant_id": "other"},
    ):
        problem(call("POST", f"{API}/users", admin, json=body), 422, "validation_failed")
    assert not auth_has("o@example.dk")


def test_an_administrator_changing_their_own_email_must_have_signed_in_recently(
    tenant: dict[str, Any],
) -> None:
    admin = tenant["admin_token"]
    stale = forge(admin, auth_time=token_payload(admin)["auth_time"] - 3600)
    problem(
        call(
            "PATCH",
            f"{API}/users/{tenant['admin_uid']}",
            stale,
            json={"email": f"{unique('ny')}@example.dk"},
        ),
        401,
        "reauthentication_required",
    )


def test_deactivating_twice_is_refused(tenant: dict[str, Any]) -> None:
    admin = tenant["admin_token"]
    pro = add_professional(admin)
    assert call("POST", f"{API}/users/{pro['uid']}/deactivate", admin).status_code == 200
    problem(call("POST", f"{API}/users/{pro['uid']}/deactivate", admin), 409, "invalid_transition")
    problem(
        call("POST", f"{API}/users/{tenant['admin_uid']}/reactivate", admin),
        409,
        "invalid_transition",
    )


def test_two_deletes_of_one_user_free_one_seat(tenant: dict[str, Any]) -> None:
    admin = tenant["admin_token"]
    keep = add_professional(admin)
    gone = add_professional(admin)
    statuses: list[int] = []
    start = threading.Barrier(2)

    def delete() -> None:
        start.wait()
        statuses.append(call("DELETE", f"{API}/users/{gone['uid']}", admin).status_code)

    threads = [threading.Thread(target=delete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 204 in statuses
    # The other is refused: gone already (404), or lost the race for the record (409).
    assert set(statuses) <= {204, 404, 409}
    listing = call("GET", f"{API}/users", admin).json()
    assert listing["seats"]["used"] == 1
    assert [u["uid"] for u in listing["users"] if u["role"] == "professional"] == [keep["uid"]]


def test_self_deletion_also_removes_the_users_messages(
    professional: dict[str, Any], tenant: dict[str, Any]
) -> None:
    data = TenantData(firestore_client(), tenant["slug"])
    addressed = [
        m
        for m in data.collection("messages").get()
        if m.get("request")["to"] == professional["email"]
    ]
    assert addressed  # the welcome e-mail, with its one-time link
    assert call("DELETE", f"{API}/me/profile", professional["token"]).status_code == 204
    left = [
        m
        for m in data.collection("messages").get()
        if m.get("request")["to"] == professional["email"]
    ]
    assert left == []


def test_a_rejected_upload_leaves_the_picture_in_use(professional: dict[str, Any]) -> None:
    token = professional["token"]

    def upload(content: bytes) -> requests.Response:
        ticket = call(
            "POST",
            f"{API}/me/photo-upload",
            token,
            json={"content_type": "image/png", "size": len(content)},
        ).json()
        requests.put(ticket["upload_url"], data=content, headers=ticket["headers"], timeout=10)
        return call("POST", f"{API}/me/photo", token)

    first = upload(PNG)
    assert first.status_code == 200
    problem(upload(b"not a picture at all"), 422, "not_an_image")
    assert requests.get(first.json()["download_url"], timeout=10).content == PNG


def test_a_suspended_tenant_refuses_writes_and_browser_reads(
    owner: str, tenant: dict[str, Any], professional: dict[str, Any]
) -> None:
    slug = tenant["slug"]
    pro = Browser(professional["uid"], slug, "professional")
    assert allowed(pro.get(f"{TENANTS}/{slug}"))
    call("POST", f"{API}/tenants/{slug}/suspend", owner, json=SECURITY)
    problem(
        call("PATCH", f"{API}/me/profile", professional["token"], json={"phone": None}),
        403,
        "tenant_suspended",
    )
    problem(
        call(
            "POST",
            f"{API}/users",
            tenant["admin_token"],
            json={"email": "s@example.dk", "display_name": "S"},
        ),
        403,
        "tenant_suspended",
    )
    assert not allowed(pro.get(f"{TENANTS}/{slug}"))
    assert not allowed(pro.get(f"{TENANTS}/{slug}/users/{professional['uid']}"))


def test_a_deactivated_user_reads_nothing_in_the_browser(
    tenant: dict[str, Any], professional: dict[str, Any]
) -> None:
    slug = tenant["slug"]
    pro = Browser(professional["uid"], slug, "professional")
    assert allowed(pro.get(f"{TENANTS}/{slug}/users/{professional['uid']}"))
    call("POST", f"{API}/users/{professional['uid']}/deactivate", tenant["admin_token"])
    assert not allowed(pro.get(f"{TENANTS}/{slug}/users/{professional['uid']}"))
    assert not allowed(pro.get(f"{TENANTS}/{slug}"))


def test_only_password_and_the_tenants_own_provider_sign_in(tenant: dict[str, Any]) -> None:
    admin = tenant["admin_token"]
    firebase = token_payload(admin)["firebase"]
    for provider in ("oidc.entra-someone-else", "anonymous", "google.com"):
        other = forge(admin, firebase={**firebase, "sign_in_provider": provider})
        problem(call("GET", f"{API}/me", other), 403, "forbidden")


def test_a_terminated_tenant_cannot_change_and_reserved_slugs_are_refused(
    owner: str, tenant: dict[str, Any]
) -> None:
    slug = tenant["slug"]
    call("POST", f"{API}/tenants/{slug}/terminate", owner)
    problem(
        call("PUT", f"{API}/tenants/{slug}/licence", owner, json=licence(seats=9)),
        409,
        "invalid_transition",
    )
    problem(
        call("PATCH", f"{API}/tenants/{slug}/sign-in", owner, json={"mfa_required": False}),
        409,
        "invalid_transition",
    )
    reply = call(
        "POST",
        f"{API}/tenants",
        owner,
        json={
            "slug": "www",
            "display_name": "X",
            "licence": licence(),
            "contract": contract_terms(),
            "administrator": {"email": f"{unique('a')}@example.dk", "display_name": "A"},
        },
    )
    problem(reply, 422, "validation_failed")


def test_forgot_password_is_limited_per_address_and_sends_no_more_mail(
    professional: dict[str, Any],
) -> None:
    email = professional["email"]
    codes = [
        call(
            "POST",
            f"{API}/password-reset",
            json={"email": email},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},  # callers that differ
        ).status_code
        for n in range(25)
    ]
    assert codes == [202] * 3 + [429] * 22
    wait_until(
        lambda: (
            len(
                [
                    m
                    for m in emails_to(email)
                    if m["subject"] == "Nulstil din adgangskode til Trivsel"
                ]
            )
            == 3
        )
    )


def test_forgot_password_is_limited_per_caller() -> None:
    caller = {"X-Forwarded-For": f"203.0.113.{int(unique('n')[-2:], 16) % 250}"}
    replies = [
        call(
            "POST",
            f"{API}/password-reset",
            json={"email": f"{unique('x')}@example.dk"},
            headers=caller,
        )
        for _ in range(31)
    ]
    assert [r.status_code for r in replies] == [202] * 30 + [429]
    problem(replies[-1], 429, "rate_limited")


def test_forgot_password_looks_nothing_up_on_the_request_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Known and unknown addresses cost the same: the lookup is a queued task's work."""
    import flask

    from functions.auth.main import api

    def no_lookup(*args: object, **kwargs: object) -> object:
        raise AssertionError("an account lookup on the request path")

    monkeypatch.setattr(auth, "get_user_by_email", no_lookup)
    app = flask.Flask(__name__)
    for email in (f"{unique('x')}@example.dk", f"{unique('y')}@example.dk"):
        with app.test_request_context("/password-reset", method="POST", json={"email": email}):
            assert api(flask.request).status_code == 202
