"""Announced changes of the sub-processor list (SPEC K-4) through the stack: the notice
period, one Danish e-mail per DPA contact and administrator however often it is
announced, approval on the effective date (an injected clock), and the administrator's
objection, which the owner is told of and which keeps the new one unapproved."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from functions.auth.subprocessor_changes import ObjectionPeriodOver, object_to
from functions.auth.subprocessor_models import ObjectionCreate
from shared.gcp import firestore_client
from shared.messaging.models import MESSAGES
from shared.principal import Principal, Role
from shared.subprocessors import SEED, SUBPROCESSORS, approved
from shared.subscriptions import received_on
from shared.tenancy import TenantData
from tests.accounts import API, activate, contract_terms, events, problem, provision
from tests.helpers import call, create_tenant, emails_to, token_payload, unique, wait_until

pytestmark = pytest.mark.usefixtures("stack")
CHANGES = f"{API}/subprocessor-changes"


def in_days(days: int) -> date:
    return received_on(datetime.now(UTC)) + timedelta(days=days)


def newcomer(note: str = "Bedre levering af SMS") -> dict[str, Any]:
    """An announcement of a new sub-processor of the test's own, 30 days ahead."""
    return {
        "kind": "add",
        "subprocessor": {
            "id": unique("sms-eu"),
            "name": "Eksempel SMS ApS (Danmark)",
            "service": "SMS-gateway",
            "activity": "Afsendelse af SMS: telefonnummer og tekst.",
            "location": "EU: København, Danmark.",
            "transfer_basis": "Ingen overførsel: behandles i EU.",
        },
        "effective_on": in_days(30).isoformat(),
        "note": note,
    }


def tenant_with_contacts(owner: str) -> dict[str, Any]:
    terms = contract_terms()
    created = provision(owner, contract=terms)
    return {**created, "dpa_email": terms["dpa_contacts"][0]["email"]}


def change_mail_id(change_id: str, slug: str, email: str) -> str:
    key = f"{change_id}:{slug}:{email}"
    return "subprocessor-change-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def received(slug: str, message_id: str) -> int:
    snapshot = TenantData(firestore_client(), slug).document(MESSAGES, message_id).get()
    return int((snapshot.to_dict() or {}).get("received", 0))


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), UTC)


def test_a_change_is_e_mailed_once_to_every_dpa_contact_and_approved_on_its_date(
    owner: str,
) -> None:
    customer = tenant_with_contacts(owner)
    slug, dpa_email = customer["slug"], customer["dpa_email"]
    body = newcomer()
    new_id = body["subprocessor"]["id"]

    reply = call("POST", CHANGES, owner, json=body)
    assert reply.status_code == 201, reply.text
    change = reply.json()
    assert (change["kind"], change["effective_on"]) == ("add", body["effective_on"])
    assert change["tenants_notified"] >= 1

    [mail] = wait_until(lambda: emails_to(dpa_email))
    assert mail["subject"].startswith("Varsel om ændring af underdatabehandlere i Trivsel")
    assert "Eksempel SMS ApS (Danmark): SMS-gateway" in mail["body"]
    assert "I kan gøre indsigelse" in mail["body"]
    assert "Bedre levering af SMS" in mail["body"]

    def admin_mails() -> list[dict[str, Any]]:
        found = emails_to(customer["admin_email"])
        return [m for m in found if m["subject"].startswith("Varsel")]

    wait_until(admin_mails)

    # Announced again (the owner's retry): the same change, and nothing more is sent.
    again = call("POST", CHANGES, owner, json=body)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == change["id"]
    mail_id = change_mail_id(change["id"], slug, dpa_email)
    wait_until(lambda: received(slug, mail_id) >= 2)
    assert len(emails_to(dpa_email)) == 1
    assert len(admin_mails()) == 1
    announced = [e for e in events(slug) if e["action"] == "subprocessor.change_announced"]
    assert [e["subject"] for e in announced if change["id"] in e["subject"]] == [
        f"subprocessor_changes/{change['id']}"
    ]

    # On the public list: planned from its date; for the tenant: pending until then.
    listing = call("GET", f"{API}/subprocessors").json()
    [entry] = [s for s in listing["subprocessors"] if s["id"] == new_id]
    assert (entry["status"], entry["since"]) == ("planned", body["effective_on"])
    assert change["id"] in {c["id"] for c in listing["planned_changes"]}
    view = call("GET", f"{API}/tenants/{slug}/subprocessors", owner).json()
    [mine] = [s for s in view["subprocessors"] if s["subprocessor"]["id"] == new_id]
    assert (mine["approval"], mine["effective_on"]) == ("pending", body["effective_on"])

    data = TenantData(firestore_client(), slug)
    effective = date.fromisoformat(body["effective_on"])
    assert not approved(data, new_id, now=noon(effective - timedelta(days=1)))
    assert approved(data, new_id, now=noon(effective))


def test_less_than_30_days_notice_is_refused_and_nothing_is_written(owner: str) -> None:
    body = newcomer() | {"effective_on": in_days(29).isoformat()}
    reply = call("POST", CHANGES, owner, json=body)
    assert "effective_on" in problem(reply, 422, "notice_period_too_short")["detail"]
    listing = call("GET", f"{API}/subprocessors").json()
    assert body["subprocessor"]["id"] not in {s["id"] for s in listing["subprocessors"]}
    changes = call("GET", CHANGES, owner).json()["changes"]
    assert body["subprocessor"]["id"] not in {c["subprocessor_id"] for c in changes}


def test_an_announcement_that_does_not_fit_the_list_is_refused(owner: str) -> None:
    existing = newcomer()
    existing["subprocessor"]["id"] = "amazon-sns"  # on the list already
    problem(call("POST", CHANGES, owner, json=existing), 409, "invalid_transition")
    unknown = {"kind": "remove", "replaces": unique("nobody")}
    problem(call("POST", CHANGES, owner, json=unknown), 404, "not_found")
    mixed = newcomer() | {"kind": "remove"}  # a removal names no new sub-processor
    problem(call("POST", CHANGES, owner, json=mixed), 422, "validation_failed")
    planned = newcomer()
    assert call("POST", CHANGES, owner, json=planned).status_code == 201
    early = {"kind": "remove", "replaces": planned["subprocessor"]["id"]}  # not in use yet
    problem(call("POST", CHANGES, owner, json=early), 409, "invalid_transition")


def test_an_objection_is_recorded_the_owners_told_and_the_newcomer_never_approved(
    owner: str,
) -> None:
    customer = tenant_with_contacts(owner)
    slug = customer["slug"]
    admin = activate(customer["admin_email"])
    body = newcomer()
    new_id = body["subprocessor"]["id"]
    change = call("POST", CHANGES, owner, json=body).json()

    path = f"{API}/tenant/subprocessor-changes/{change['id']}/objection"
    reply = call("POST", path, admin, json={"reason": "Vi ønsker ingen nye leverandører"})
    assert reply.status_code == 200, reply.text
    [mine] = [s for s in reply.json()["subprocessors"] if s["subprocessor"]["id"] == new_id]
    assert mine["approval"] == "objected"
    [objected] = [c for c in reply.json()["changes"] if c["id"] == change["id"]]
    assert objected["objection"]["reason"] == "Vi ønsker ingen nye leverandører"
    # Again: the first objection stands, and the owners are not told twice.
    assert call("POST", path, admin, json={"reason": "igen"}).status_code == 200

    owner_email = token_payload(owner)["email"]

    def told() -> list[dict[str, Any]]:
        return [
            m
            for m in emails_to(owner_email)
            if m["subject"] == f"Indsigelse mod underdatabehandler: {slug.upper()} Kommune"
        ]

    [mail] = wait_until(told)
    assert "Vi ønsker ingen nye leverandører" in mail["body"]
    changes = call("GET", CHANGES, owner).json()["changes"]
    [listed] = [c for c in changes if c["id"] == change["id"]]
    assert listed["objections"][slug]["reason"] == "Vi ønsker ingen nye leverandører"
    assert [e["action"] for e in events(slug)].count("subprocessor.objected") == 1

    effective = date.fromisoformat(body["effective_on"])
    data = TenantData(firestore_client(), slug)
    assert not approved(data, new_id, now=noon(effective + timedelta(days=365)))
    assert len(told()) == 1


def test_objection_refusals(owner: str) -> None:
    customer = tenant_with_contacts(owner)
    admin = activate(customer["admin_email"])
    objection = {"reason": "Nej"}
    unknown = f"{API}/tenant/subprocessor-changes/{unique('change')}/objection"
    problem(call("POST", unknown, admin, json=objection), 404, "not_found")
    problem(call("POST", CHANGES, admin, json=newcomer()), 403, "forbidden")

    # A removal takes nothing new into use: there is nothing to object to.
    leaving = SEED[3].model_copy(update={"id": unique("leaving")})
    firestore_client().collection(SUBPROCESSORS).document(leaving.id).set(leaving.to_firestore())
    removal = call("POST", CHANGES, owner, json={"kind": "remove", "replaces": leaving.id})
    assert removal.status_code == 201, removal.text
    path = f"{API}/tenant/subprocessor-changes/{removal.json()['id']}/objection"
    problem(call("POST", path, admin, json=objection), 409, "invalid_transition")

    # After the effective date an objection is too late (the clock injected).
    change = call("POST", CHANGES, owner, json=newcomer()).json()
    late = noon(date.fromisoformat(change["effective_on"]))
    caller = Principal(uid=customer["admin_uid"], role=Role.ADMIN, tenant_id=customer["slug"])
    data = TenantData(firestore_client(), customer["slug"])
    with pytest.raises(ObjectionPeriodOver):
        object_to(caller, data, change["id"], ObjectionCreate(reason="for sent"), now=late)
    view = call("GET", f"{API}/tenant/subprocessors", admin).json()
    [listed] = [c for c in view["changes"] if c["id"] == change["id"]]
    assert listed["objection"] is None


def test_approval_refusals(owner: str) -> None:
    slug = provision(owner)["slug"]
    body = {"approved": False, "note": "brev"}
    required = call("PUT", f"{API}/tenants/{slug}/subprocessors/google-cloud", owner, json=body)
    problem(required, 409, "subprocessor_required")
    unknown = call("PUT", f"{API}/tenants/{slug}/subprocessors/{unique('x')}", owner, json=body)
    problem(unknown, 404, "not_found")
    view = call("GET", f"{API}/tenants/{slug}/subprocessors", owner).json()
    assert {s["approval"] for s in view["subprocessors"] if s["subprocessor"]["required"]} == {
        "approved"
    }


def test_a_legacy_tenant_keeps_sending_and_objects_from_the_list_it_used(owner: str) -> None:
    """A tenant document without approvals (before approvals were recorded): refused
    nothing; its first objection records what it used as approved (`legacy`)."""
    from tests.helpers import create_user

    slug = create_tenant()
    data = TenantData(firestore_client(), slug)
    assert approved(data, "amazon-sns")
    admin = create_user(slug, Role.ADMIN).sign_in()
    view = call("GET", f"{API}/tenant/subprocessors", admin).json()
    assert view["recorded"] is False
    change = call("POST", CHANGES, owner, json=newcomer()).json()
    path = f"{API}/tenant/subprocessor-changes/{change['id']}/objection"
    after = call("POST", path, admin, json={"reason": "Nej tak"}).json()
    assert after["recorded"] is True
    sources = {s["subprocessor"]["id"]: s.get("source") for s in after["subprocessors"]}
    assert sources["amazon-sns"] == "legacy"
    assert approved(data, "amazon-sns")
