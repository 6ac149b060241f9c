"""firestore.rules for well-being checks: the browser reads none of these collections
(everything goes through clients_api, which gives group results only), so the rules deny
them to every member, the other tenant's members and the owner alike. Attack tests."""

from __future__ import annotations

import pytest

from shared.gcp import firestore_client
from shared.tenancy import TENANTS
from shared.wellbeing import (
    ANSWERS,
    CHECKS,
    GROUPS,
    MEMBERS,
    OWN_CHECKS,
    OWN_DUE,
    PARTICIPATION,
    PROGRAMMES,
)
from tests.helpers import create_tenant
from tests.rules import Browser, allowed

pytestmark = pytest.mark.usefixtures("stack")
COLLECTIONS = [GROUPS, MEMBERS, CHECKS, PARTICIPATION, ANSWERS, OWN_CHECKS, OWN_DUE, PROGRAMMES]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_no_browser_reads_or_writes_well_being_data(collection: str) -> None:
    db = firestore_client()
    a, b = create_tenant(), create_tenant()
    for tenant in (a, b):
        db.collection(TENANTS).document(tenant).collection("users").document("alice").set(
            {"status": "active"}
        )
    db.collection(TENANTS).document(a).collection(collection).document("d1").set(
        {"uid": "alice", "client_id": "c1", "sets": "x"}
    )
    path = f"{TENANTS}/{a}/{collection}/d1"
    for browser in (
        Browser("alice", a, "admin"),
        Browser("alice", a, "professional"),
        Browser("alice", b, "admin"),
        Browser("alice", None, "owner"),
        Browser(),
    ):
        assert not allowed(browser.get(path))
        assert not allowed(browser.get(f"{TENANTS}/{a}/{collection}"))
        assert not allowed(browser.write(path, {"uid": "alice"}))
        assert not allowed(browser.write(f"{TENANTS}/{a}/{collection}/d2", {"uid": "alice"}))
        assert not allowed(browser.delete(path))
