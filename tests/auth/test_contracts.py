"""The contract record through auth_api: no data before a DPA (SPEC K-2), cancellations,
the owner's report of tenants without a DPA, payment demands and suspension (K-3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore

from functions.auth.payments import DEMANDS
from shared.contracts import contract_ref
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from tests.accounts import (
    API,
    DPA,
    SECURITY,
    activate,
    contract_terms,
    events,
    problem,
    provision,
    record_dpa,
)
from tests.content import CLIENT
from tests.helpers import call, emails_to, unique, wait_until

pytestmark = pytest.mark.usefixtures("stack")


def _client(token: str) -> Any:
    return call("POST", "/clients_api/clients", token, json=json.loads(json.dumps(CLIENT)))


def test_a_pending_tenant_sets_up_users_but_gets_dpa_missing_for_clients_until_its_dpa(
    owner: str,
) -> None:
    created = provision(owner, dpa=False)
    slug = created["slug"]
    assert created["tenant"]["status"] == "pending"
    admin = activate(created["admin_email"])
    # Sign-in and setting up users work without a DPA ...
    assert call("GET", f"{API}/me", admin).status_code == 200
    email = f"{unique('pro')}@example.dk"
    added = call("POST", f"{API}/users", admin, json={"email": email, "display_name": "P"})
    assert added.status_code == 201, added.text
    # ... personal data of clients does not: not in clients_api nor in remote tasks.
    problem(_client(admin), 403, "dpa_missing")
    problem(call("GET", "/clients_api/clients", admin), 403, "dpa_missing")
    problem(call("GET", "/remote_tasks_api/settings", admin), 403, "dpa_missing")
    data = TenantData(firestore_client(), slug)
    assert not data.collection("clients").limit(1).get()

    recorded = record_dpa(owner, slug)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["contract"]["dpa"]["version"] == DPA["version"]
    assert call("GET", f"{API}/tenants/{slug}", owner).json()["status"] == "active"
    assert _client(admin).status_code == 201
    actions = [e["action"] for e in events(slug)]
    assert {"contract.dpa_recorded", "tenant.active"} <= set(actions)


def test_a_trial_tenant_is_pending_too(owner: str) -> None:
    created = provision(owner, dpa=False, contract=contract_terms(trial=True))
    assert created["tenant"]["status"] == "pending"
    admin = activate(created["admin_email"])
    problem(_client(admin), 403, "dpa_missing")


def test_an_invalid_dpa_or_contract_is_refused_and_nothing_is_written(owner: str) -> None:
    created = provision(owner, dpa=False)
    slug = created["slug"]
    for wrong in ({**DPA, "instructions": ""}, {"version": "1"}, {**DPA, "signed_on": "x"}):
        problem(
            call("POST", f"{API}/tenants/{slug}/dpa", owner, json=wrong), 422, "validation_failed"
        )
    assert call("GET", f"{API}/tenants/{slug}", owner).json()["status"] == "pending"
    assert call("GET", f"{API}/tenants/{slug}/contract", owner).json()["contract"]["dpa"] is None
    terms = contract_terms()
    terms["customer"]["cvr"] = "45136638"  # fails modulus 11
    reply = call(
        "POST",
        f"{API}/tenants",
        owner,
        json={
            "slug": unique("k"),
            "display_name": "X",
            "licence": created["tenant"]["licence"],
            "contract": terms,
            "administrator": {"email": f"{unique('a')}@example.dk", "display_name": "A"},
        },
    )
    body = problem(reply, 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["contract.customer.cvr"]


def test_a_legacy_tenant_keeps_working_and_is_reported_as_missing_a_dpa(owner: str) -> None:
    # Active and without a contract record: as every tenant provisioned before contracts.
    old = provision(owner)
    legacy = old["slug"]
    contract_ref(TenantData(firestore_client(), legacy)).delete()
    TenantData(firestore_client(), legacy).root.update({"subprocessors": firestore.DELETE_FIELD})
    assert _client(activate(old["admin_email"])).status_code == 201
    recorded = provision(owner)["slug"]
    pending = provision(owner, dpa=False)["slug"]
    # Its DPA recorded before sub-processor approvals were: no approvals on the tenant.
    before_approvals = provision(owner)["slug"]
    root = TenantData(firestore_client(), before_approvals).root
    root.update({"subprocessors": firestore.DELETE_FIELD})
    report = call("GET", f"{API}/contracts/missing-dpa", owner)
    assert report.status_code == 200, report.text
    listed = {t["slug"]: t for t in report.json()["tenants"]}
    assert listed[legacy] == {
        "slug": legacy,
        "status": "active",
        "contract_record": False,
        "dpa": False,
        "subprocessor_approvals": False,
    }
    assert listed[before_approvals] | {"slug": ""} == {
        "slug": "",
        "status": "active",
        "contract_record": True,
        "dpa": True,
        "subprocessor_approvals": False,
    }
    assert recorded not in listed
    assert pending not in listed  # pending holds no client data
    # The owner records the legacy tenant's terms and DPA: then it is off the report.
    terms = contract_terms()
    assert call("PUT", f"{API}/tenants/{legacy}/contract", owner, json=terms).status_code == 200
    assert record_dpa(owner, legacy).status_code == 200
    assert record_dpa(owner, before_approvals).status_code == 200  # its annex: the list
    report = call("GET", f"{API}/contracts/missing-dpa", owner).json()
    assert legacy not in {t["slug"] for t in report["tenants"]}
    assert before_approvals not in {t["slug"] for t in report["tenants"]}


def test_a_late_cancellation_takes_effect_a_period_later_and_says_so(owner: str) -> None:
    terms = contract_terms()
    terms["subscription"]["start"] = "2024-01-01"
    slug = provision(owner, contract=terms)["slug"]
    late = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)  # after 31 October of the 2nd period
    reply = call(
        "POST",
        f"{API}/tenants/{slug}/cancellation",
        owner,
        json={"received_at": late.isoformat()},
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["cancellation"]["ends_on"] == "2026-12-31"
    assert body["cancellation"]["late"] is True
    assert "end of the next period" in body["detail"]
    again = call("POST", f"{API}/tenants/{slug}/cancellation", owner, json={})
    problem(again, 409, "invalid_transition")
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    other = provision(owner)["slug"]
    problem(
        call("POST", f"{API}/tenants/{other}/cancellation", owner, json={"received_at": future}),
        422,
        "validation_failed",
    )


# -- payment demands and suspension (K-3) -------------------------------------------------


DEMAND = {"invoice_number": "2026-0117", "amount_dkk": "12500.00", "due_on": "2026-02-01"}


def _age_demands(slug: str, days: float) -> None:
    """Move the tenant's recorded demands `days` into the past (the server's clock is
    real; the 9/10-day boundary itself is the unit test above)."""
    data = TenantData(firestore_client(), slug)
    for snapshot in data.collection(DEMANDS).get():
        at = datetime.now(UTC) - timedelta(days=days)
        snapshot.reference.update({"recorded_at": at})


def test_suspension_for_non_payment_needs_a_written_demand_at_least_10_days_old(
    owner: str,
) -> None:
    created = provision(owner)
    slug = created["slug"]
    unpaid = {"reason": "non_payment"}
    suspend = f"{API}/tenants/{slug}/suspend"
    problem(call("POST", suspend, owner, json=unpaid), 409, "payment_demand_missing")

    reply = call("POST", f"{API}/tenants/{slug}/payment-demands", owner, json=DEMAND)
    assert reply.status_code == 201, reply.text
    contact = contract_ref(TenantData(firestore_client(), slug)).get().get("contract_contacts")[0]
    [mail] = wait_until(lambda: emails_to(contact["email"]))
    assert mail["subject"].startswith("Betalingspåkrav: faktura 2026-0117")
    assert "12.500,00 kr." in mail["body"]
    assert not emails_to(created["admin_email"])[1:]  # the administrator got only the welcome
    [logged] = [e for e in events(slug) if e["action"] == "tenant.payment_demand"]
    assert logged["subject"] == f"payment_demands/{reply.json()['id']}"

    problem(call("POST", suspend, owner, json=unpaid), 409, "payment_demand_missing")
    _age_demands(slug, 9)
    problem(call("POST", suspend, owner, json=unpaid), 409, "payment_demand_missing")
    assert call("GET", f"{API}/tenants/{slug}", owner).json()["status"] == "active"
    _age_demands(slug, 10)
    assert call("POST", suspend, owner, json=unpaid).json()["status"] == "suspended"
    # Reactivation closes the demand: a second suspension needs a new one.
    assert call("POST", f"{API}/tenants/{slug}/reactivate", owner).status_code == 200
    problem(call("POST", suspend, owner, json=unpaid), 409, "payment_demand_missing")


def test_suspension_for_security_needs_a_note_but_no_demand(owner: str) -> None:
    slug = provision(owner)["slug"]
    suspend = f"{API}/tenants/{slug}/suspend"
    for body in ({"reason": "security"}, {"reason": "security", "note": " "}, {}):
        problem(call("POST", suspend, owner, json=body), 422, "validation_failed")
    problem(call("POST", suspend, owner, json={"reason": "x"}), 422, "validation_failed")
    assert call("POST", suspend, owner, json=SECURITY).json()["status"] == "suspended"
    [logged] = [e for e in events(slug) if e["action"] == "tenant.suspended"]
    assert logged["details"] == SECURITY
