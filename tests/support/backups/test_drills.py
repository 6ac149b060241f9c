"""The weekly restore drill against the emulators (GDPR Art. 32(1)(d))."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.backups.backup import backup_tenant
from functions.support.maintenance.backups.drills import (
    DRILLS,
    RUNS,
    SCRATCH,
    drill,
    drill_restores,
    remove_left_over_drill_copies,
)
from functions.support.maintenance.backups.restore import restore_tenant
from shared.backups.layout import MANIFEST, document_part, prefix
from shared.backups.reading import backup_stamps, backups_bucket
from shared.client_data import finish_erasure, mark_erasure
from shared.gcp import firebase_app, firestore_client
from shared.storage import uploads_bucket
from shared.tenancy import TenantData
from tests.helpers import create_tenant, create_user
from tests.support.backups.test_backup_restore import build

pytestmark = pytest.mark.usefixtures("stack")
NOW = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def nothing_of(tenant_id: str) -> bool:
    """No document, object or account of the tenant is left."""
    db = firestore_client()
    root = snapshot.tenant_root(db, tenant_id)
    return (
        not list(snapshot.documents(db, tenant_id))
        and not list(root.collections())
        and not list(snapshot.objects(uploads_bucket(), tenant_id))
        and not list(snapshot.accounts(firebase_app(), tenant_id))
    )


def runs(tenant_id: str) -> list[dict[str, Any]]:
    db = firestore_client()
    return [s.to_dict() or {} for s in db.collection(DRILLS, tenant_id, RUNS).get()]


def backed_up_tenant() -> tuple[str, str]:
    tenant = create_tenant()
    build(tenant)
    create_user(tenant)
    backup_tenant(firestore_client(), tenant)
    return tenant, backup_stamps(tenant)[-1]


def test_a_drill_of_an_intact_backup_passes_and_leaves_no_scratch_tenant() -> None:
    db = firestore_client()
    tenant, stamp = backed_up_tenant()
    data = TenantData(db, tenant)
    finish_erasure(data, "c2", mark_erasure(data, "c2", "admin"), "admin")  # left out

    record = drill(db, tenant, stamp, clock)

    assert record.outcome == "passed", record.mismatches
    assert record.collections["clients/courses/items/notes"] == 1
    assert record.left_out_erased == 2  # clients/c2 and its calendar entry
    assert record.objects == 1
    assert nothing_of(record.scratch_tenant_id)
    [stored] = runs(tenant)
    assert (stored["outcome"], stored["backup"], stored["mismatches"]) == ("passed", stamp, [])
    assert SCRATCH not in (db.collection(DRILLS).document(tenant).get().to_dict() or {})


def test_a_drill_of_a_backup_with_a_tampered_part_fails_and_is_recorded() -> None:
    db = firestore_client()
    tenant, stamp = backed_up_tenant()
    part = backups_bucket().blob(prefix(tenant, stamp) + document_part(0))
    part.upload_from_string(gzip.compress(b'{"path":"clients/c9","fields":{}}\n'))

    record = drill(db, tenant, stamp, clock)

    assert record.outcome == "failed"
    assert record.mismatches[0].startswith("backup_corrupt:")
    assert nothing_of(record.scratch_tenant_id)
    assert [r["outcome"] for r in runs(tenant)] == ["failed"]


def test_a_drill_whose_copy_breaks_half_way_removes_what_it_wrote() -> None:
    db = firestore_client()
    tenant, stamp = backed_up_tenant()
    [name] = [
        b.name for b in backups_bucket().list_blobs(prefix=prefix(tenant, stamp) + "objects/")
    ][:1] or [""]
    backups_bucket().blob(name).upload_from_string(b"not what the index says")

    record = drill(db, tenant, stamp, clock)

    assert record.outcome == "failed"
    assert record.mismatches[0].startswith("backup_corrupt: Object")
    assert nothing_of(record.scratch_tenant_id)


def test_the_nightly_job_drills_a_tenant_weekly_and_removes_a_left_over_copy() -> None:
    db = firestore_client()
    tenant, _ = backed_up_tenant()
    later = NOW + timedelta(days=6)
    assert drill_restores(db, NOW + timedelta(hours=2), clock).finished
    assert [r["outcome"] for r in runs(tenant)] == ["passed"]
    drill_restores(db, later + timedelta(hours=2), lambda: later)
    assert len(runs(tenant)) == 1  # six days on: not yet
    week = NOW + timedelta(days=7)
    drill_restores(db, week + timedelta(hours=2), lambda: week)
    assert len(runs(tenant)) == 2

    # A drill killed half-way: its copy exists, noted on the tenant's drill record.
    left = "drill-leftover" + tenant[-8:]
    stamp = backup_stamps(tenant)[-1]
    db.collection(DRILLS).document(tenant).update({SCRATCH: left})
    restore_tenant(db, tenant, stamp, target=left)
    assert not nothing_of(left)
    remove_left_over_drill_copies(db, NOW + timedelta(hours=2), clock)
    assert nothing_of(left)
    assert SCRATCH not in (db.collection(DRILLS).document(tenant).get().to_dict() or {})


def test_a_drill_whose_copy_does_not_match_the_manifest_counts_fails() -> None:
    db = firestore_client()
    tenant, stamp = backed_up_tenant()
    blob = backups_bucket().blob(prefix(tenant, stamp) + MANIFEST)
    manifest = json.loads(blob.download_as_bytes())
    manifest["collections"]["clients"] += 1  # the manifest promises a client the parts lack
    blob.upload_from_string(json.dumps(manifest), content_type="application/json")

    record = drill(db, tenant, stamp, clock)

    assert record.outcome == "failed"
    assert any(m == "clients: 2 restored, manifest 3 less 0 erased" for m in record.mismatches)
    assert nothing_of(record.scratch_tenant_id)
