"""Tenants and users as tests need them: provisioned through auth_api, activated by the
link in the welcome e-mail, exactly as a real administrator would."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import requests
from firebase_admin import auth

from shared.gcp import firebase_app, firestore_client
from shared.principal import Role
from shared.tenancy import TenantData
from tests.helpers import (
    PASSWORD,
    auth_url,
    call,
    create_user,
    emails_to,
    sign_in,
    unique,
    wait_until,
)

API = "/auth_api"


def licence(
    seats: int = 3, add_ons: list[str] | None = None, focus_areas: list[str] | None = None
) -> dict[str, Any]:
    start = date.today()
    return {
        "seats": seats,
        "period_start": start.isoformat(),
        "period_end": (start + timedelta(days=364)).isoformat(),
        "focus_areas": focus_areas if focus_areas is not None else ["trivsel", "angst"],
        "add_ons": add_ons or [],
    }


def person(name: str) -> dict[str, Any]:
    return {"name": name, "email": f"{unique(name.split()[0].lower())}@example.dk"}


def contract_terms(rule: str = "end_of_tenth_month", trial: bool = False) -> dict[str, Any]:
    """Terms like a municipality's (SkoleRo's own CVR number, a public EAN number)."""
    return {
        "customer": {"name": "Testkommune", "cvr": "45136639", "ean": "5798000416604"},
        "contract_contacts": [person("Karin Kontrakt")],
        "dpa_contacts": [person("Dorte Databeskyttelse")],
        "subscription": {
            "start": date.today().isoformat(),
            "cancellation_rule": rule,
            "trial": trial,
        },
    }


# A suspension that needs no payment demand (tests of suspension itself).
SECURITY = {"reason": "security", "note": "Test: mistanke om kompromitteret konto"}
DPA = {
    "version": "2026.1",
    "signed_on": "2026-01-05",
    "instructions": "Bilag C: behandling af klientdata til trivselsforløb i kommunen.",
}


def record_dpa(owner: str, slug: str) -> requests.Response:
    return call("POST", f"{API}/tenants/{slug}/dpa", owner, json=DPA)


PRIVACY = "/remote_tasks_api/settings/privacy"
# What contact persons are told on the page behind a link (shared.tenants.PrivacyNotice).
PRIVACY_NOTICE: dict[str, Any] = {
    "purpose": "Svaret bruges i arbejdet med barnets trivsel.",
    "recipients": "Den fagperson, der sendte opgaven, og kolleger i samme sag.",
    "retention": "Svaret gemmes, så længe sagen er åben, og slettes senest 5 år efter.",
    "policy_url": "https://kommune.example.dk/privatliv",
    "contact_email": "dpo@kommune.example.dk",
}


def owner_token() -> str:
    return create_user(None, Role.OWNER).sign_in()


def provision(
    owner: str,
    seats: int = 3,
    add_ons: list[str] | None = None,
    focus_areas: list[str] | None = None,
    dpa: bool = True,
    contract: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A tenant through auth_api; with `dpa` (as every test but the DPA's own wants) its
    DPA is recorded too, so it is active rather than pending."""
    slug = unique("k")
    admin_email = f"{unique('admin')}@example.dk"
    reply = call(
        "POST",
        f"{API}/tenants",
        owner,
        json={
            "slug": slug,
            "display_name": f"{slug.upper()} Kommune",
            "licence": licence(seats, add_ons, focus_areas),
            "contract": contract or contract_terms(),
            "administrator": {"email": admin_email, "display_name": "Anne Admin"},
        },
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    if dpa:
        recorded = record_dpa(owner, slug)
        assert recorded.status_code == 200, recorded.text
    return {
        "slug": slug,
        "admin_email": admin_email,
        "admin_uid": body["administrator_uid"],
        **body,
    }


def link_in(mail: dict[str, Any]) -> str:
    found = re.search(r'href="([^"]+)"', mail["body"])
    assert found, mail["body"]
    return html.unescape(found.group(1))


def welcome_link(email: str) -> str:
    [mail] = wait_until(lambda: emails_to(email))
    return link_in(mail)


def set_password_with_link(link: str, password: str) -> requests.Response:
    code = re.search(r"oobCode=([^&]+)", link)
    assert code
    return requests.post(
        auth_url("/identitytoolkit.googleapis.com/v1/accounts:resetPassword?key=any"),
        json={"oobCode": code.group(1), "newPassword": password},
        timeout=10,
    )


def activate(email: str) -> str:
    """Follow the welcome e-mail's link, choose a password, sign in: the user's token."""
    assert set_password_with_link(welcome_link(email), PASSWORD).status_code == 200
    return sign_in(email, PASSWORD)


def active_tenant(
    owner: str,
    seats: int = 2,
    add_ons: list[str] | None = None,
    focus_areas: list[str] | None = None,
) -> dict[str, Any]:
    """A provisioned tenant whose administrator has set a password and signed in."""
    created = provision(owner, seats=seats, add_ons=add_ons, focus_areas=focus_areas)
    created["admin_token"] = activate(created["admin_email"])
    # Its privacy notice, without which no remote task is sent (privacy_policy_missing).
    notice = call("PUT", PRIVACY, created["admin_token"], json=PRIVACY_NOTICE)
    assert notice.status_code == 200, notice.text
    return created


def add_professional(admin: str) -> dict[str, Any]:
    email = f"{unique('pro')}@example.dk"
    reply = call(
        "POST",
        f"{API}/users",
        admin,
        json={"email": email, "display_name": "Per Fagperson", "phone": "+4520304050"},
    )
    assert reply.status_code == 201, reply.text
    created: dict[str, Any] = reply.json()
    return created


def problem(reply: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    body: dict[str, Any] = reply.json()
    assert body["code"] == code
    return body


def auth_has(email: str) -> bool:
    try:
        auth.get_user_by_email(email, app=firebase_app())
    except auth.UserNotFoundError:
        return False
    return True


def events(slug: str) -> list[dict[str, Any]]:
    data = TenantData(firestore_client(), slug)
    return [e.to_dict() or {} for e in data.collection("events").get()]
