"""support_api: the system owner's restore points, restores and maintenance jobs (issue 12).
Every refusal writes nothing: no job, no lock, no log entry."""

from __future__ import annotations

from typing import Any

import pytest

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups.backup import (
    backup_stamps,
    backup_tenant,
    backups_bucket,
)
from functions.support.maintenance.backups.restore_jobs import lock_ref
from shared.backups.layout import MANIFEST, prefix
from shared.gcp import firestore_client
from tests.accounts import events, problem
from tests.helpers import call, create_tenant
from tests.support.backups.test_backup_restore import build, state

pytestmark = pytest.mark.usefixtures("stack")
API = "/support_api"


@pytest.fixture
def backed_up() -> dict[str, Any]:
    """A tenant with one backup, changed since."""
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    before = state(tenant)
    backup_tenant(db, tenant)
    db.document(f"tenants/{tenant}/clients/c2").set({"name": "changed"})
    return {"id": tenant, "stamp": backup_stamps(tenant)[-1], "before": before}


def _restores(tenant: str) -> list[str]:
    jobs = jobstore.listed(firestore_client(), tenant)
    return [j.id for j in jobs if j.kind is jobstore.JobKind.RESTORE]


def _untouched(tenant: str) -> None:
    db = firestore_client()
    assert _restores(tenant) == []
    assert not lock_ref(db, tenant).get().exists
    assert [e for e in events(tenant) if e["action"] == "owner.access"] == []


def test_the_owner_lists_a_tenants_restore_points_with_counts_and_size(
    owner: str, backed_up: dict[str, Any]
) -> None:
    reply = call("GET", f"{API}/tenants/{backed_up['id']}/restore-points", owner)
    assert reply.status_code == 200, reply.text
    [point] = reply.json()["backups"]
    assert point["stamp"] == backed_up["stamp"]
    assert (point["objects"], point["collections"]["clients"]) == (2, 2)
    assert point["documents"] == sum(point["collections"].values())
    assert point["size_bytes"] > 10_000  # the objects' bytes count
    problem(
        call("GET", f"{API}/tenants/nobody-here/restore-points", owner), 404, "tenant_not_found"
    )


def test_a_dry_run_returns_the_plan_and_queues_nothing(
    owner: str, backed_up: dict[str, Any]
) -> None:
    tenant = backed_up["id"]
    body = {"backup": backed_up["stamp"], "dry_run": True}
    reply = call("POST", f"{API}/tenants/{tenant}/restores", owner, json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["job"] is None
    assert reply.json()["plan"]["collections"]["clients"] == {
        "added": 0,
        "changed": 1,
        "deleted": 0,
    }
    assert _restores(tenant) == []


def test_a_restore_is_queued_once_and_its_job_is_visible(
    owner: str, backed_up: dict[str, Any]
) -> None:
    tenant = backed_up["id"]
    body = {"backup": backed_up["stamp"]}
    reply = call("POST", f"{API}/tenants/{tenant}/restores", owner, json=body)
    assert reply.status_code == 200, reply.text
    job = reply.json()["job"]
    assert (job["state"], job["target_tenant_id"], job["emergency"]) == ("queued", tenant, False)
    assert [e["details"]["purpose"] for e in events(tenant) if e["action"] == "owner.access"]
    again = call("POST", f"{API}/tenants/{tenant}/restores", owner, json=body)
    problem(again, 409, "restore_in_progress")
    listed = call("GET", f"{API}/jobs", owner, params={"tenant_id": tenant})
    restores = [j["id"] for j in listed.json()["jobs"] if j["kind"] == "restore"]
    assert restores == [job["id"]]
    one = call("GET", f"{API}/jobs/{job['id']}", owner)
    assert (one.status_code, one.json()["state"]) == (200, "queued")
    problem(call("GET", f"{API}/jobs/no-such-job", owner), 404, "job_not_found")
    assert state(tenant) != backed_up["before"]  # it waits for the tenant's window


def test_an_emergency_restore_needs_a_reason_runs_now_and_is_audited(
    owner: str, backed_up: dict[str, Any]
) -> None:
    tenant, url = backed_up["id"], f"{API}/tenants/{backed_up['id']}/restores"
    no_reason = call("POST", url, owner, json={"backup": backed_up["stamp"], "now": True})
    problem(no_reason, 422, "validation_failed")
    _untouched(tenant)
    body = {"backup": backed_up["stamp"], "now": True, "reason": "data deleted by mistake"}
    reply = call("POST", url, owner, json=body)
    assert reply.status_code == 200, reply.text
    job = reply.json()["job"]
    assert (job["state"], job["emergency"], job["reason"]) == ("done", True, body["reason"])
    documents, objects = state(tenant)
    restored = [f for p, f in documents.items() if p.startswith("events/")]
    assert [e["action"]["s"] for e in restored] == ["tenant.restored"]
    assert restored[0]["details"]["m"]["reason"] == {"s": body["reason"]}
    assert restored[0]["actor"]["s"] == job["requested_by"]
    kept = {p: f for p, f in documents.items() if not p.startswith("events/")}
    assert (kept, objects) == backed_up["before"]


def test_restore_refusals_write_nothing(owner: str, backed_up: dict[str, Any]) -> None:
    tenant = backed_up["id"]
    url = f"{API}/tenants/{tenant}/restores"
    problem(call("POST", url, owner, json={"backup": "20200101T000000Z"}), 404, "backup_not_found")
    other = create_tenant()
    build(other)
    into = {"backup": backed_up["stamp"], "target_tenant_id": other}
    problem(call("POST", url, owner, json=into), 409, "tenant_exists")
    unknown = call("POST", f"{API}/tenants/nobody-here/restores", owner, json=into)
    problem(unknown, 404, "tenant_not_found")
    problem(call("POST", url, owner, json={"backup": "yesterday"}), 422, "validation_failed")
    backups_bucket().blob(prefix(tenant, backed_up["stamp"]) + MANIFEST).delete()
    body = {"backup": backed_up["stamp"]}
    problem(call("POST", url, owner, json=body), 404, "backup_not_found")  # incomplete
    _untouched(tenant)
    assert _restores(other) == []


def test_only_the_system_owner_reaches_support_api(
    tenant: dict[str, Any], backed_up: dict[str, Any]
) -> None:
    admin = tenant["admin_token"]
    for method, path, body in [
        ("GET", f"/tenants/{backed_up['id']}/restore-points", None),
        ("POST", f"/tenants/{backed_up['id']}/restores", {"backup": backed_up["stamp"]}),
        ("GET", "/jobs", None),
        ("GET", "/jobs/anything", None),
    ]:
        problem(call(method, API + path, admin, json=body), 403, "forbidden")
    _untouched(backed_up["id"])
    assert call("GET", f"{API}/healthz").status_code == 200
