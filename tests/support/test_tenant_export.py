"""The whole-tenant export in any state (SPEC T-4, GDPR Art. 20) against the emulators."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from functions.support.exports.archive import build_tenant_exports
from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.jobstore import JOBS
from shared.backups import codec
from shared.gcp import firestore_client
from shared.storage import uploads_bucket
from tests.accounts import API, SECURITY, activate, active_tenant, add_professional, problem
from tests.helpers import call
from tests.support.backups.test_backup_restore import build

pytestmark = pytest.mark.usefixtures("stack")
EXPORTS = "/support_api/tenant/exports"


def run_exports() -> None:
    now = datetime.now(UTC)
    build_tenant_exports(firestore_client(), now + timedelta(hours=1), lambda: datetime.now(UTC))


def export_jobs(slug: str) -> list[dict[str, Any]]:
    jobs = firestore_client().collection(JOBS).get()
    return [j.to_dict() or {} for j in jobs if (j.to_dict() or {}).get("tenant_id") == slug]


def exported(admin: str) -> tuple[dict[str, Any], zipfile.ZipFile]:
    asked = call("POST", EXPORTS, admin)
    assert asked.status_code == 202, asked.text
    assert asked.json()["state"] == "queued"
    assert asked.json()["download_url"] is None
    run_exports()
    done = call("GET", f"{EXPORTS}/{asked.json()['id']}", admin)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "done"
    archive = requests.get(body["download_url"], timeout=30)
    assert archive.status_code == 200
    return body, zipfile.ZipFile(io.BytesIO(archive.content))


@pytest.mark.parametrize("state", ["suspend", "terminate"])
def test_the_archive_holds_every_document_and_file_of_a_suspended_or_terminated_tenant(
    owner: str, state: str
) -> None:
    created = active_tenant(owner)
    slug = created["slug"]
    build(slug)
    body = SECURITY if state == "suspend" else None
    assert call("POST", f"{API}/tenants/{slug}/{state}", owner, json=body).status_code == 200
    db = firestore_client()
    documents = {p: codec.encode_fields(f) for p, f in snapshot.documents(db, slug)}
    files = {
        b.name[len(slug) + 1 :]: b.download_as_bytes()
        for b in snapshot.objects(uploads_bucket(), slug)
    }

    status, archive = exported(created["admin_token"])

    lines = [json.loads(line) for line in archive.read("documents.jsonl").splitlines()]
    got = {line["path"]: line["fields"] for line in lines}
    # What the export itself logs (its request) may come after the snapshot above.
    assert {p: f for p, f in got.items() if p in documents} == documents
    assert set(got) - set(documents) <= {p for p in got if p.startswith("events/")}
    assert {
        n[len("files/") :]: archive.read(n) for n in archive.namelist() if n.startswith("files/")
    } == files
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["documents"] == len(got) == status["documents"]
    assert manifest["files"] == len(files) == status["files"] == 2
    [account] = [json.loads(x) for x in archive.read("accounts.jsonl").splitlines()]
    assert account["email"] == created["admin_email"]
    assert account["role"] == "admin"


def test_a_professional_may_not_ask_for_the_tenant_export(owner: str) -> None:
    created = active_tenant(owner, seats=3)
    pro = add_professional(created["admin_token"])
    problem(call("POST", EXPORTS, activate(pro["email"])), 403, "forbidden")
    assert export_jobs(created["slug"]) == []


def test_a_download_link_past_its_lifetime_is_refused(owner: str) -> None:
    created = active_tenant(owner)
    status, _ = exported(created["admin_token"])
    firestore_client().collection(JOBS).document(status["id"]).update(
        {"finished_at": datetime.now(UTC) - timedelta(days=7, minutes=1)}
    )
    problem(call("GET", f"{EXPORTS}/{status['id']}", created["admin_token"]), 410, "export_expired")


def test_a_terminated_tenant_past_its_deletion_date_gets_no_export(owner: str) -> None:
    created = active_tenant(owner)
    slug = created["slug"]
    assert call("POST", f"{API}/tenants/{slug}/terminate", owner).status_code == 200
    firestore_client().document(f"tenants/{slug}").update(
        {"export_available_until": datetime.now(UTC) - timedelta(seconds=1)}
    )
    problem(call("POST", EXPORTS, created["admin_token"]), 403, "export_period_over")
    assert export_jobs(slug) == []
    problem(
        call("POST", "/support_api/tenant/export-received", created["admin_token"]),
        403,
        "export_period_over",
    )


def test_an_active_tenant_cannot_confirm_receiving_its_export(owner: str) -> None:
    created = active_tenant(owner)
    reply = call("POST", "/support_api/tenant/export-received", created["admin_token"])
    problem(reply, 409, "tenant_not_terminated")
    stored = firestore_client().document(f"tenants/{created['slug']}").get().to_dict() or {}
    assert stored.get("export_received_at") is None


def test_a_terminated_admin_confirms_receipt_and_the_tenant_is_marked(owner: str) -> None:
    created = active_tenant(owner)
    slug = created["slug"]
    assert call("POST", f"{API}/tenants/{slug}/terminate", owner).status_code == 200
    reply = call("POST", "/support_api/tenant/export-received", created["admin_token"])
    assert reply.status_code == 200, reply.text
    stored = firestore_client().document(f"tenants/{slug}").get().to_dict() or {}
    assert stored["export_received_at"] is not None
