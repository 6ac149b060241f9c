"""The per-tenant event log is append-only and idempotent by event id."""

from __future__ import annotations

import pytest

from shared.events import record_event
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from tests.helpers import create_tenant

pytestmark = pytest.mark.usefixtures("stack")


def test_events_are_recorded_in_the_tenants_own_log() -> None:
    tenant = TenantData(firestore_client(), create_tenant())
    other = TenantData(firestore_client(), create_tenant())
    event_id = record_event(
        tenant, actor="u1", action="client.created", subject="clients/c1", details={"by": "test"}
    )
    stored = tenant.document("events", event_id).get().to_dict()
    assert stored is not None
    assert (stored["actor"], stored["action"], stored["subject"]) == (
        "u1",
        "client.created",
        "clients/c1",
    )
    assert stored["at"] is not None
    assert stored["details"] == {"by": "test"}
    assert not other.document("events", event_id).get().exists


def test_the_same_event_id_is_recorded_once_and_never_overwritten() -> None:
    tenant = TenantData(firestore_client(), create_tenant())
    record_event(tenant, actor="u1", action="a.first", subject="s", event_id="evt-1")
    record_event(tenant, actor="u2", action="a.second", subject="s", event_id="evt-1")
    events = tenant.collection("events").get()
    assert [(e.id, e.get("actor"), e.get("action")) for e in events] == [("evt-1", "u1", "a.first")]
