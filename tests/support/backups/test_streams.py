"""A backup read in several ranges at once (ranges.py, document_parts.py) against the
emulators: the same documents, exactly, as one read in one stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups import ranges
from functions.support.maintenance.backups.backup import backup_tenant
from functions.support.maintenance.backups.restore import restore_tenant
from shared.backups.layout import Manifest, stamp
from shared.gcp import firestore_client
from tests.helpers import create_tenant
from tests.support.backups.test_backup_restore import build, state

pytestmark = pytest.mark.usefixtures("stack")
PART = 3


def test_a_backup_read_in_four_ranges_restores_the_documents_one_stream_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    now = datetime.now(UTC)
    # Last night's backup, in parts of 2: 5 parts to cut tonight's into four ranges at.
    last_night = backup_tenant(db, tenant, taken_at=now - timedelta(hours=3), part_documents=2)
    for i in range(10):  # more documents after last night, after the last range's cut too
        db.document(f"tenants/{tenant}/zeta/z{i}").set({"i": i})
    db.document(f"tenants/{tenant}/calendar/e1").delete()
    read_time = datetime.now(UTC)
    db.document(f"tenants/{tenant}/clients/c2").set({"name": "after the read time"})
    db.document(f"tenants/{tenant}/zeta/z99").set({"late": True})

    monkeypatch.setattr(ranges, "STREAMS", 1)
    one = backup_tenant(
        db, tenant, taken_at=now - timedelta(hours=2), read_time=read_time, part_documents=PART
    )
    monkeypatch.setattr(ranges, "STREAMS", 4)
    four = backup_tenant(
        db, tenant, taken_at=now - timedelta(hours=1), read_time=read_time, part_documents=PART
    )

    def spans(manifest: Manifest) -> list[dict[str, Any]]:
        job = jobstore.load(db, f"backup-{tenant}-{stamp(manifest.taken_at)}")
        return list(job.progress["ranges"])

    assert len(spans(last_night)) == 1  # a first backup has no parts to cut at
    assert len(spans(one)) == 1
    cuts = [s["start"] for s in spans(four)[1:]]
    firsts = [p.first for p in last_night.parts if p.first is not None]
    assert len(cuts) == 3
    assert set(cuts) <= set(firsts)  # cut where last night's parts began
    assert four.collections == one.collections
    assert four.collections["zeta"] == 10  # as at the read time: not z99
    copies = {}
    for name, manifest in (("one", one), ("four", four)):
        copies[name] = f"copy-{name}-{tenant}"
        restore_tenant(db, tenant, stamp(manifest.taken_at), target=copies[name])
    kept = {
        name: {p: f for p, f in state(copy)[0].items() if not p.startswith("events/")}
        for name, copy in copies.items()
    }
    assert kept["four"] == kept["one"]
    assert kept["four"]["clients/c2"] == {"name": {"s": "Bo"}}
    assert "orphans/gone/children/kept" in kept["four"]
    assert "calendar/e1" not in kept["four"]
