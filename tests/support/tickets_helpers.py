"""Tenants with support terms, support staff and a named support lead, for the ticket tests."""

from __future__ import annotations

from typing import Any

from shared.contracts import MAINTENANCE_NOTICE, MAINTENANCE_WINDOWS, SUPPORT_HOURS
from shared.members import member_ref
from shared.principal import Role
from shared.support_terms import SUPPORT_TERMS
from tests.accounts import activate, add_professional, contract_terms, provision
from tests.helpers import call, create_user, unique

API = "/support_tickets"


def terms_of(seed: str) -> dict[str, Any]:
    return {
        **contract_terms(),
        "support_hours": SUPPORT_HOURS[seed].model_dump(mode="json"),
        "maintenance_window": MAINTENANCE_WINDOWS[seed].model_dump(mode="json"),
        "maintenance_notice": MAINTENANCE_NOTICE[seed].model_dump(mode="json"),
        "support": SUPPORT_TERMS[seed].model_dump(mode="json"),
    }


def tenant_with_terms(owner: str, seed: str | None = "konfront") -> dict[str, Any]:
    """An active tenant with the seed's support terms (None: no terms), its administrator
    and a professional, both signed in."""
    contract = terms_of(seed) if seed else contract_terms()
    created = provision(owner, seats=2, contract=contract)
    created["admin_token"] = activate(created["admin_email"])
    pro = add_professional(created["admin_token"])
    return {**created, "pro": pro, "pro_token": activate(pro["email"])}


def support_person(phone: str | None = None) -> dict[str, Any]:
    user = create_user(None, Role.SUPPORT)
    name = f"Sara Support {unique('s')}"
    member_ref(None, user.uid).update({"display_name": name, "phone": phone})
    token = user.sign_in()
    return {"uid": user.uid, "email": user.email, "name": name, "token": token, "phone": phone}


def name_lead(owner: str, uid: str) -> None:
    reply = call("PUT", f"{API}/desk/lead", owner, json={"lead_uid": uid})
    assert reply.status_code == 200, reply.text


def new_ticket(token: str, **extra: Any) -> dict[str, Any]:
    body = {"title": "Kan ikke gemme forløb", "description": "Fejl ved gem", **extra}
    reply = call("POST", f"{API}/tickets", token, json=body)
    assert reply.status_code == 201, reply.text
    found: dict[str, Any] = reply.json()
    return found


def escalate(admin: str, ticket_id: str, priority: str = "kritisk") -> dict[str, Any]:
    body = {
        "priority": priority,
        "steps_to_reproduce": "1. Åbn forløb 2. Tryk gem",
        "consequence": "Ingen kan dokumentere",
    }
    reply = call("POST", f"{API}/tickets/{ticket_id}/escalate", admin, json=body)
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found


def desk(slug: str, ticket_id: str, action: str = "") -> str:
    return f"{API}/tenants/{slug}/tickets/{ticket_id}{action}"
