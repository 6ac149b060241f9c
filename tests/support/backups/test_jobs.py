"""Backup and restore jobs in the nightly run (issue 12): skip-if-fresh, the backup age
gauge, a deadline that has passed, two overlapping runs, and each tenant's window."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups.backup import (
    backup_stamps,
    backup_tenant,
    backup_tenants,
    new_backup_job,
    observe_backup_ages,
)
from functions.support.maintenance.backups.restore_jobs import queue_restore, run_restores
from functions.support.maintenance.backups.writer import write_backup
from functions.support.maintenance.windows import window_of
from shared.backups.layout import stamp
from shared.contracts import MAINTENANCE_WINDOWS
from shared.gcp import firestore_client
from shared.observability import metrics
from tests.accounts import contract_terms
from tests.helpers import create_tenant
from tests.support.backups.test_backup_restore import build, state
from tests.support.backups.test_crash_safety import content

pytestmark = pytest.mark.usefixtures("stack")
NOW = datetime.now(UTC).replace(microsecond=0)  # backup stamps keep whole seconds


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def test_a_tenant_backed_up_under_20_hours_ago_is_skipped_and_an_older_one_backed_up() -> None:
    db = firestore_client()
    fresh, stale = create_tenant(), create_tenant()
    backup_tenant(db, fresh, taken_at=NOW - timedelta(hours=19))
    backup_tenant(db, stale, taken_at=NOW - timedelta(hours=21))

    result = backup_tenants(db, NOW + timedelta(hours=1), at(NOW), tenants=[fresh, stale])

    assert (result.processed, result.finished) == (1, True)
    assert len(backup_stamps(fresh)) == 1
    assert backup_stamps(stale)[-1] == stamp(NOW)


def test_the_backup_age_gauge_reads_hours_since_each_tenants_newest_backup() -> None:
    db = firestore_client()
    tenant, never = create_tenant(), create_tenant()
    backup_tenant(db, tenant, taken_at=NOW - timedelta(hours=30))
    backup_tenant(db, tenant, taken_at=NOW - timedelta(hours=5))

    later = NOW + timedelta(hours=10)
    observe_backup_ages(db, later + timedelta(hours=1), at(later), tenants=[tenant, never])

    dump = metrics.snapshot()
    assert metrics.value(dump, metrics.BACKUP_AGE, tenant_id=tenant) == pytest.approx(15.0)
    # Never backed up: counted from its creation, so the alert sees it too.
    created = db.document(f"tenants/{never}").get().get("created_at")
    hours = (later - created).total_seconds() / 3600
    assert metrics.value(dump, metrics.BACKUP_AGE, tenant_id=never) == pytest.approx(hours)


def test_a_run_whose_deadline_has_passed_does_nothing_and_the_next_night_does_it() -> None:
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    backup_tenant(db, tenant, taken_at=NOW - timedelta(hours=30))
    before = state(tenant)
    restore = queue_restore(
        db, tenant, backup_stamps(tenant)[-1], target=None, requested_by="o", clock=at(NOW)
    )
    night = datetime(2030, 1, 15, 0, 30, tzinfo=UTC)  # 01:30 Copenhagen, inside the window

    backed = backup_tenants(db, night - timedelta(seconds=1), at(night), tenants=[tenant])
    restored = run_restores(db, night - timedelta(seconds=1), at(night), tenants=[tenant])

    assert (backed.processed, backed.finished, restored.finished) == (0, False, False)
    assert len(backup_stamps(tenant)) == 1
    assert jobstore.load(db, restore.id).state is jobstore.JobState.QUEUED
    db.document(f"tenants/{tenant}/clients/c2").set({"name": "changed"})
    next_night = night + timedelta(hours=1)
    assert backup_tenants(db, next_night + timedelta(hours=1), at(next_night), tenants=[tenant])
    assert run_restores(db, next_night + timedelta(hours=1), at(next_night), tenants=[tenant])
    assert len(backup_stamps(tenant)) == 2
    assert jobstore.load(db, restore.id).state is jobstore.JobState.DONE
    documents, objects = state(tenant)
    assert ({p: f for p, f in documents.items() if not p.startswith("events/")}, objects) == before


def test_a_backup_cut_off_between_parts_continues_the_next_night_to_the_same_backup() -> None:
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    read_time = datetime.now(UTC)
    whole = backup_tenant(
        db, tenant, taken_at=NOW - timedelta(hours=2), read_time=read_time, part_documents=3
    )
    job = new_backup_job(
        db, tenant, taken_at=NOW - timedelta(hours=1), read_time=read_time, part_documents=3
    )
    clock = {"now": NOW}
    deadline = NOW + timedelta(minutes=1)

    def tick(what: str, count: int) -> None:  # the deadline comes after the first parts
        clock["now"] = deadline

    claimed = jobstore.claim(db, job.id, lambda: clock["now"])
    assert claimed is not None
    finished = write_backup(db, claimed[0], claimed[1], deadline, lambda: clock["now"], tick)

    assert finished is False
    cut = jobstore.load(db, job.id)
    assert (cut.state, cut.lease_owner) == (jobstore.JobState.RUNNING, None)
    # The parts of the first checkpoint (one, or a few read at once), not every one.
    assert 1 <= len(cut.progress["parts"]) < len(whole.parts) - 2
    assert backup_stamps(tenant) == [stamp(whole.taken_at)]  # no manifest: not usable
    night = NOW + timedelta(days=1)
    assert backup_tenants(db, night + timedelta(hours=1), at(night), tenants=[tenant]).finished
    assert content(tenant, job.backup) == content(tenant, stamp(whole.taken_at))
    assert jobstore.load(db, job.id).runs == 2


def _together(work: Callable[[], Any]) -> list[Any]:
    """Two runners at once, as two overlapping Cloud Scheduler deliveries."""
    start, results = threading.Barrier(2), []

    def run() -> None:
        start.wait()
        results.append(work())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_overlapping_runs_back_up_once_and_restore_once() -> None:
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    backup_tenant(db, tenant, taken_at=NOW - timedelta(days=2))
    night = datetime(2030, 2, 1, 0, 15, tzinfo=UTC)  # 01:15 Copenhagen
    restore = queue_restore(
        db, tenant, backup_stamps(tenant)[-1], target=None, requested_by="o", clock=at(NOW)
    )

    backups = _together(
        lambda: backup_tenants(db, night + timedelta(hours=1), at(night), tenants=[tenant])
    )
    restores = _together(
        lambda: run_restores(db, night + timedelta(hours=1), at(night), tenants=[tenant])
    )

    assert sum(r.processed for r in backups) == 1
    assert len(backup_stamps(tenant)) == 2
    assert sum(r.processed for r in restores) == 1
    assert jobstore.load(db, restore.id).runs == 1
    events = [p for p in state(tenant)[0] if p.startswith("events/")]
    assert events == [f"events/restored-{restore.id}"]


def test_a_restore_queued_outside_the_window_waits_for_it() -> None:
    db = firestore_client()
    tenant = create_tenant()  # no contract: the window is 00:00-03:00
    build(tenant)
    backup_tenant(db, tenant)
    before = state(tenant)
    db.document(f"tenants/{tenant}/clients/c2").set({"name": "changed"})
    changed = state(tenant)
    noon = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)  # 12:00 Copenhagen (summer)
    job = queue_restore(
        db, tenant, backup_stamps(tenant)[-1], target=None, requested_by="o", clock=at(noon)
    )

    result = run_restores(db, noon + timedelta(hours=1), at(noon), tenants=[tenant])

    assert (result.processed, result.finished) == (0, True)
    assert jobstore.load(db, job.id).state is jobstore.JobState.QUEUED
    assert state(tenant) == changed
    window = datetime(2030, 6, 3, 22, 30, tzinfo=UTC)  # 00:30 Copenhagen, the next night
    result = run_restores(db, window + timedelta(hours=1), at(window), tenants=[tenant])
    assert result.processed == 1
    assert jobstore.load(db, job.id).state is jobstore.JobState.DONE
    documents, objects = state(tenant)
    assert ({p: f for p, f in documents.items() if not p.startswith("events/")}, objects) == before


def test_a_restore_for_a_tenant_whose_window_opens_at_23_runs_at_23_30_and_not_others() -> None:
    db = firestore_client()
    late, default = create_tenant(), create_tenant()
    terms = contract_terms() | {"maintenance_window": {"start": "23:00", "end": "02:00"}}
    db.document(f"tenants/{late}/contract/record").set(terms)
    assert window_of(db, late) == MAINTENANCE_WINDOWS["handsonsimply"]
    jobs = {}
    for tenant in (late, default):
        backup_tenant(db, tenant)
        jobs[tenant] = queue_restore(
            db, tenant, backup_stamps(tenant)[-1], target=None, requested_by="o", clock=at(NOW)
        )
    evening = datetime(2030, 1, 10, 22, 30, tzinfo=UTC)  # 23:30 Copenhagen (winter)

    run_restores(db, evening + timedelta(hours=1), at(evening), tenants=[late, default])

    assert jobstore.load(db, jobs[late].id).state is jobstore.JobState.DONE
    assert jobstore.load(db, jobs[default].id).state is jobstore.JobState.QUEUED
