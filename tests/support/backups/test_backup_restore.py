"""Backup and restore of one tenant against the emulators (M-1, M-2)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from firebase_admin import auth
from google.cloud.firestore_v1._helpers import GeoPoint
from google.cloud.firestore_v1.vector import Vector

from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.backups.backup import (
    backup_stamps,
    backup_tenant,
    backups_bucket,
    purge_old_backups,
)
from functions.support.maintenance.backups.restore import restore_tenant
from shared.backups import codec
from shared.backups.errors import BackupIncomplete, TenantExists
from shared.backups.layout import MANIFEST, prefix, stamp
from shared.client_data import finish_erasure, mark_erasure
from shared.gcp import firebase_app, firestore_client
from shared.storage import uploads_bucket
from shared.tenancy import TenantData
from tests.helpers import call, create_tenant, create_user

pytestmark = pytest.mark.usefixtures("stack")


def every_type(db: Any, tenant_id: str) -> dict[str, Any]:
    return {
        "null": None,
        "yes": True,
        "count": 2**62 + 1,
        "ratio": 0.1,
        "text": "Ærø å",
        "raw": b"\x00\xffbytes",
        "when": codec.timestamp(1_767_323_045, 123_456_000),
        "where": GeoPoint(55.6761, 12.5683),
        "ref": db.document(f"tenants/{tenant_id}/clients/c1"),
        "nested": {"list": [1, "two", {"deep": [None, 3.5]}], "empty": {}},
        "empty_list": [],
    }


def build(tenant_id: str) -> None:
    db = firestore_client()
    root = f"tenants/{tenant_id}"
    db.document(f"{root}/clients/c1").set(every_type(db, tenant_id) | {"client_id": "c1"})
    db.document(f"{root}/clients/c1/courses/k1").set({"step": 1})
    db.document(f"{root}/clients/c1/courses/k1/items/i1").set(every_type(db, tenant_id))
    db.document(f"{root}/clients/c1/courses/k1/items/i1/notes/n1").set({"level": 3})
    # Below a parent that does not exist: a plain stream() would miss it.
    db.document(f"{root}/orphans/gone/children/kept").set({"found": True})
    db.document(f"{root}/calendar/e1").set({"client_id": "c1", "day": "2026-01-01"})
    db.document(f"{root}/calendar/e2").set({"client_id": "c2", "day": "2026-01-02"})
    db.document(f"{root}/clients/c2").set({"name": "Bo"})
    bucket = uploads_bucket()
    bucket.blob(f"{tenant_id}/clients/c1/a.pdf").upload_from_string(b"%PDF-1 a", "application/pdf")
    bucket.blob(f"{tenant_id}/clients/c2/b.bin").upload_from_string(bytes(range(256)) * 40)


def state(tenant_id: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Every document (fields and types, as encoded) and every object's bytes."""
    db = firestore_client()
    documents = {p: codec.encode_fields(f) for p, f in snapshot.documents(db, tenant_id)}
    objects = {b.name: b.download_as_bytes() for b in snapshot.objects(uploads_bucket(), tenant_id)}
    return documents, objects


def checksum(tenant_id: str) -> str:
    documents, objects = state(tenant_id)
    return hashlib.sha256(
        repr((sorted(documents.items()), sorted(objects.items()))).encode()
    ).hexdigest()


def test_a_restore_brings_the_tenant_back_bit_for_bit_and_leaves_others_alone() -> None:
    db = firestore_client()
    tenant, other = create_tenant(), create_tenant()
    build(tenant)
    build(other)
    user = create_user(tenant)
    before, other_before = state(tenant), checksum(other)
    manifest = backup_tenant(db, tenant)
    assert manifest.collections["clients/courses/items/notes"] == 1
    assert manifest.collections["orphans/children"] == 1
    assert (manifest.objects, manifest.accounts) == (2, 1)

    root = f"tenants/{tenant}"
    db.document(f"{root}/clients/c1").update({"text": "changed", "when": datetime.now(UTC)})
    db.document(f"{root}/clients/c1/courses/k1/items/i1/notes/n2").set({"new": True})
    db.document(f"{root}/clients/c1/courses/k1/items/i1/notes/n1").delete()
    db.document(f"{root}/orphans/gone/children/kept").delete()
    uploads_bucket().blob(f"{tenant}/clients/c1/a.pdf").upload_from_string(b"other bytes")
    uploads_bucket().blob(f"{tenant}/clients/c2/b.bin").delete()
    uploads_bucket().blob(f"{tenant}/clients/c2/new.txt").upload_from_string(b"new")
    auth.update_user(user.uid, disabled=True, app=firebase_app())
    stamp_ = backup_stamps(tenant)[-1]

    dry = restore_tenant(db, tenant, stamp_, dry_run=True)
    notes = dry.collections["clients/courses/items/notes"]
    assert (notes.added, notes.changed, notes.deleted) == (1, 0, 1)
    assert dry.collections["clients"].changed == 1
    assert (dry.objects.added, dry.objects.changed, dry.objects.deleted) == (1, 1, 1)
    assert state(tenant) != before  # a dry run writes nothing

    restore_tenant(db, tenant, stamp_)
    after = state(tenant)
    events = {p: f for p, f in after[0].items() if p.startswith("events/")}
    assert [f["action"] for f in events.values()] == [{"s": "tenant.restored"}]
    assert ({p: f for p, f in after[0].items() if p not in events}, after[1]) == before
    assert auth.get_user(user.uid, app=firebase_app()).disabled is False
    assert checksum(other) == other_before


def test_the_raw_read_a_backup_makes_is_the_client_librarys_read_encoded() -> None:
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    db.document(f"tenants/{tenant}/clients/c3").set({"embedding": Vector([0.5, -1.0, 3.0])})
    read_time = datetime.now(UTC)
    db.document(f"tenants/{tenant}/clients/c2").set({"name": "after the read time"})

    library = [(p, codec.encode_fields(f)) for p, f in snapshot.documents(db, tenant, read_time)]

    assert list(snapshot.encoded(db, tenant, read_time)) == library  # the same order too
    assert ("orphans/gone/children/kept", {"found": {"b": True}}) in library
    assert dict(library)["clients/c2"] == {"name": {"s": "Bo"}}


def test_a_client_erased_after_the_backup_stays_erased() -> None:
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    backup_tenant(db, tenant)
    data = TenantData(db, tenant)
    finish_erasure(data, "c1", mark_erasure(data, "c1", "admin"), "admin")

    restore_tenant(db, tenant, backup_stamps(tenant)[-1])
    documents, objects = state(tenant)
    assert not [p for p in documents if p.startswith("clients/c1")]
    assert "calendar/e1" not in documents
    assert "calendar/e2" in documents
    assert f"{tenant}/clients/c1/a.pdf" not in objects
    assert f"{tenant}/clients/c2/b.bin" in objects
    assert "clients/c2" in documents


def test_a_backup_without_its_manifest_is_never_restored() -> None:
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    backup_tenant(db, tenant)
    stamp_ = backup_stamps(tenant)[-1]
    backups_bucket().blob(prefix(tenant, stamp_) + MANIFEST).delete()
    before = state(tenant)
    with pytest.raises(BackupIncomplete):
        restore_tenant(db, tenant, stamp_)
    assert state(tenant) == before


def test_a_restore_to_a_new_tenant_id_copies_and_leaves_the_original() -> None:
    db = firestore_client()
    tenant, inspection = create_tenant(), f"inspect-{create_tenant()}"
    build(tenant)
    backup_tenant(db, tenant)
    before = state(tenant)
    restore_tenant(db, tenant, backup_stamps(tenant)[-1], target=inspection)
    copied_documents, copied_objects = state(inspection)
    assert {p: f for p, f in copied_documents.items() if not p.startswith("events/")} == before[0]
    assert {n.split("/", 1)[1]: b for n, b in copied_objects.items()} == {
        n.split("/", 1)[1]: b for n, b in before[1].items()
    }
    assert state(tenant) == before
    with pytest.raises(TenantExists):
        restore_tenant(db, tenant, backup_stamps(tenant)[-1], target=inspection)


def test_backups_older_than_30_days_are_deleted_and_younger_kept() -> None:
    db = firestore_client()
    tenant = create_tenant()
    now = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    old = backup_tenant(db, tenant, taken_at=now - timedelta(days=31))
    young = backup_tenant(db, tenant, taken_at=now - timedelta(days=29))
    assert backup_stamps(tenant) == [stamp(old.taken_at), stamp(young.taken_at)]
    purge_old_backups(db, now + timedelta(hours=1), lambda: now)
    assert backup_stamps(tenant) == [stamp(young.taken_at)]


def test_users_of_a_tenant_being_restored_are_told_to_come_back() -> None:
    db = firestore_client()
    tenant = create_tenant()
    user = create_user(tenant)
    token = user.sign_in()
    assert call("GET", "/auth_api/me", token).status_code == 200
    db.document(f"tenants/{tenant}").update({"restoring_since": datetime.now(UTC)})
    reply = call("GET", "/auth_api/me", token)
    assert (reply.status_code, reply.json()["code"]) == (503, "tenant_restoring")
