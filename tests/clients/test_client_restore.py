"""Restoring one deleted client from a backup (administrator), against the emulators."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
import requests

from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.backups.backup import backup_tenant
from shared import erasure_ledger
from shared.backups import codec
from shared.backups.reading import backup_stamps
from shared.client_data import finish_erasure, mark_erasure
from shared.erasure_ledger import Erased, ErasureBasis
from shared.gcp import firestore_client
from shared.storage import uploads_bucket
from shared.tenancy import TenantData
from tests.accounts import activate, active_tenant, add_professional, problem
from tests.content import new_client
from tests.helpers import call

pytestmark = pytest.mark.usefixtures("stack")
API = "/clients_api"
SCAN = b"%PDF-1.4 samtykke"


@pytest.fixture
def org(owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    pro = activate(add_professional(created["admin_token"])["email"])
    return {**created, "pro_token": pro, "data": TenantData(firestore_client(), created["slug"])}


def full_client(org: dict[str, Any], catalogue: dict[str, str], name: str) -> str:
    """A client on a course, with an exercise planned, a file and log entries."""
    pro = org["pro_token"]
    cid = str(new_client(pro, name)["id"])
    course = call(
        "POST", f"{API}/clients/{cid}/courses", pro, json={"course_id": catalogue["course"]}
    )
    assert course.status_code == 201, course.text
    item = f"{API}/clients/{cid}/courses/{course.json()['id']}/items/i0/schedule"
    assert call("PUT", item, pro, json={"date": date.today().isoformat()}).status_code == 200
    body = {"name": "samtykke.pdf", "content_type": "application/pdf", "size": len(SCAN)}
    ticket = call("POST", f"{API}/clients/{cid}/files", pro, json=body).json()
    assert requests.put(ticket["upload_url"], data=SCAN, headers=ticket["headers"], timeout=10).ok
    return cid


def state(slug: str) -> tuple[dict[str, Any], dict[str, str]]:
    documents = {p: codec.encode_fields(f) for p, f in snapshot.documents(firestore_client(), slug)}
    objects = {
        b.name: hashlib.sha256(b.download_as_bytes()).hexdigest()
        for b in snapshot.objects(uploads_bucket(), slug)
    }
    return documents, objects


def of_client(path: str, fields: dict[str, Any], cid: str) -> bool:
    return path.startswith(f"clients/{cid}") or fields.get("client_id") == {"s": cid}


def restore(org: dict[str, Any], cid: str, backup: str, token: str | None = None) -> Any:
    body = {"backup": backup}
    return call("POST", f"{API}/clients/{cid}/restore", token or org["admin_token"], json=body)


def test_a_client_a_professional_deleted_comes_back_with_courses_log_and_files_alone(
    org: dict[str, Any], catalogue: dict[str, str], owner: str
) -> None:
    slug, admin, pro = org["slug"], org["admin_token"], org["pro_token"]
    cid, other = full_client(org, catalogue, "Ida Jensen"), full_client(org, catalogue, "Bo Holm")
    backup_tenant(firestore_client(), slug)
    [stamp] = backup_stamps(slug)
    backed_up = {p: f for p, f in state(slug)[0].items() if of_client(p, f, cid)}
    erased = call("DELETE", f"{API}/clients/{cid}", pro)
    assert erased.json()["basis"] == "staff_deletion"
    # Work after the backup that a restore of one client must not roll back.
    renamed = {"profile": {"name": "Bo Holm Nielsen"}}
    assert call("PATCH", f"{API}/clients/{other}", pro, json=renamed).status_code == 200

    listed = call("GET", f"{API}/clients/{cid}/restore", admin)
    assert listed.json() == {"backups": [stamp]}
    problem(restore(org, cid, stamp, token=pro), 403, "forbidden")
    stranger = active_tenant(owner)["admin_token"]
    problem(restore(org, cid, stamp, token=stranger), 404, "backup_not_found")
    before = state(slug)
    reply = restore(org, cid, stamp)
    assert reply.status_code == 200, reply.text
    assert reply.json()["files"] == 1
    after = state(slug)

    assert {p: f for p, f in after[0].items() if p in before[0]} == before[0]
    added = {p: f for p, f in after[0].items() if p not in before[0]}
    [restored_event] = [p for p, f in added.items() if f.get("action") == {"s": "client.restored"}]
    assert {p: f for p, f in added.items() if p != restored_event} == {
        p: f for p, f in backed_up.items() if p not in before[0]
    }
    assert {n: h for n, h in after[1].items() if n in before[1]} == before[1]
    [file] = set(after[1]) - set(before[1])
    assert file.startswith(f"{slug}/clients/{cid}/")
    assert uploads_bucket().blob(file).download_as_bytes() == SCAN
    assert erasure_ledger.entry(firestore_client(), slug, Erased.CLIENT, cid) is None

    client = call("GET", f"{API}/clients/{cid}", pro).json()
    assert [c["course_id"] for c in client["courses"]] == [catalogue["course"]]
    log = call("GET", f"{API}/clients/{cid}/log", pro).json()
    actions = {e["action"] for e in log["entries"]}
    assert {"client.created", "course.assigned", "client.restored"} <= actions
    assert any(p.startswith("calendar/") for p in added)
    problem(restore(org, cid, stamp), 409, "client_exists")


def test_a_client_erased_at_the_data_subjects_request_is_never_restored(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    slug, admin = org["slug"], org["admin_token"]
    cid = full_client(org, catalogue, "Ida Jensen")
    body = {"kind": "erasure", "client_id": cid, "received_on": date.today().isoformat()}
    assert call("POST", f"{API}/data-subject-requests", admin, json=body).status_code == 201
    backup_tenant(firestore_client(), slug)
    [stamp] = backup_stamps(slug)
    erased = call("DELETE", f"{API}/clients/{cid}", admin)
    assert erased.json()["basis"] == "data_subject_request"
    entry = erasure_ledger.entry(firestore_client(), slug, Erased.CLIENT, cid)
    assert entry is not None
    assert entry.basis is ErasureBasis.DATA_SUBJECT_REQUEST

    before = state(slug)
    problem(restore(org, cid, stamp), 410, "client_erased")
    assert state(slug) == before


def test_a_client_erased_by_retention_is_refused_by_its_ledger_basis(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    slug, data = org["slug"], org["data"]
    cid = full_client(org, catalogue, "Ida Jensen")
    backup_tenant(firestore_client(), slug)
    [stamp] = backup_stamps(slug)
    basis = ErasureBasis.RETENTION
    finish_erasure(data, cid, mark_erasure(data, cid, "retention", basis), "retention", basis)

    before = state(slug)
    problem(restore(org, cid, stamp), 410, "client_erased")
    assert state(slug) == before


def test_restoring_a_client_is_refused_for_an_unknown_backup_or_one_without_the_client(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    slug, pro = org["slug"], org["pro_token"]
    live = full_client(org, catalogue, "Ida Jensen")
    backup_tenant(firestore_client(), slug)
    [stamp] = backup_stamps(slug)
    later = str(new_client(pro, "Bo Holm")["id"])
    assert call("DELETE", f"{API}/clients/{later}", pro).status_code == 200

    before = state(slug)
    problem(restore(org, later, "20200101T000000Z"), 404, "backup_not_found")
    problem(restore(org, later, stamp), 404, "client_not_in_backup")
    problem(restore(org, live, stamp), 409, "client_exists")
    problem(restore(org, later, "../../etc"), 422, "validation_failed")
    assert call("GET", f"{API}/clients/{later}/restore", org["admin_token"]).json() == {
        "backups": []
    }
    assert state(slug) == before
