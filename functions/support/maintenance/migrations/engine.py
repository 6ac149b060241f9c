"""Running a tenant's pending migrations, one batch per transaction.

Each batch is one transaction: it reads the tenant's migration record and the next
BATCH documents after the record's cursor, updates the documents that need it and
writes the record with the new cursor (or the migration as applied), all in one commit.
So a run killed or cut off anywhere resumes exactly where the last commit left it and no
document is migrated twice; two runs at once conflict on the record and one retries.
A migration that raises is recorded with its error and stops the later ones for that
tenant (they may rely on it); it is tried again on the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.maintenance.migrations.model import (
    STATE,
    Applied,
    Failure,
    Migration,
    MigrationState,
    Running,
)
from functions.support.maintenance.migrations.registry import MIGRATIONS
from shared.faults import crash_point
from shared.jobs import Clock
from shared.observability import metrics
from shared.tenancy import TenantData

BATCH = 200  # documents per transaction (each may be updated: well inside 500 writes)
ERROR_LENGTH = 300

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]  # (migration, documents scanned since last call)


def _quiet(_migration: str, _count: int) -> None:
    return None


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TenantRun:
    """What one run did for one tenant."""

    tenant_id: str
    scanned: int = 0
    applied: list[str] = field(default_factory=list)
    failed: str | None = None  # the migration that failed
    cut_off: bool = False


def state_ref(tenant: TenantData) -> firestore.DocumentReference:
    return tenant.document(*STATE)


def load_state(tenant: TenantData) -> MigrationState:
    return MigrationState.of(state_ref(tenant).get().to_dict())


def pending(state: MigrationState, migrations: Sequence[Migration] = MIGRATIONS) -> list[Migration]:
    return [m for m in migrations if m.name not in state.applied]


def _batch(tenant: TenantData, migration: Migration, size: int, clock: Clock) -> tuple[int, bool]:
    """One batch in one transaction: (documents scanned, whether the migration is done)."""
    ref = state_ref(tenant)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> tuple[int, bool]:
        state = MigrationState.of(ref.get(transaction=transaction).to_dict())
        if migration.name in state.applied:  # another run finished it meanwhile
            return 0, True
        running = state.running
        if running is None or running.migration != migration.name:
            running = Running(migration=migration.name, started_at=clock())
        query: Any = tenant.collection(migration.collection).order_by("__name__")
        if running.after is not None:
            after = tenant.document(migration.collection, running.after)
            query = query.where(filter=FieldFilter("__name__", ">", after))
        page = list(transaction.get(query.limit(size)))
        for snapshot in page:
            changes = migration.change(snapshot.to_dict() or {})
            if changes:
                transaction.update(snapshot.reference, changes)
                running.changed += 1
        running.scanned += len(page)
        done = len(page) < size
        if page:
            running.after = page[-1].id
        if done:
            state.applied[migration.name] = Applied(
                applied_at=clock(), scanned=running.scanned, changed=running.changed
            )
            state.running = None
            if state.failure is not None and state.failure.migration == migration.name:
                state.failure = None
        else:
            state.running = running
        transaction.set(ref, state.to_firestore())
        return len(page), done

    result: tuple[int, bool] = apply(tenant.db.transaction())
    return result


def _record_failure(
    tenant: TenantData, migration: Migration, error: Exception, clock: Clock
) -> None:
    # The message may quote a field's value: it stays in the tenant's own record, and the
    # log line and the metric carry only the exception's type.
    text = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
    failure = Failure(migration=migration.name, at=clock(), error=text)
    state_ref(tenant).set({"failure": failure.model_dump()}, merge=True)
    log.error(
        "migration %s failed for tenant %s (%s); later migrations wait",
        migration.name,
        tenant.tenant_id,
        type(error).__name__,
    )
    metrics.record_migration_failure(migration.name, tenant.tenant_id)


def migrate_tenant(
    db: firestore.Client,
    tenant_id: str,
    *,
    until: datetime | None = None,
    clock: Clock = _now,
    migrations: Sequence[Migration] = MIGRATIONS,
    batch: int = BATCH,
    progress: Progress = _quiet,
) -> TenantRun:
    """Run the tenant's pending migrations in order, until done, a failure or `until`."""
    tenant = TenantData(db, tenant_id)
    run = TenantRun(tenant_id)
    for migration in pending(load_state(tenant), migrations):
        done = False
        while not done:
            if until is not None and clock() >= until:
                run.cut_off = True
                return run
            # Kill points sit outside the transaction: one killed inside it would leave the
            # emulator (and Firestore, for a while) holding its locks.
            crash_point("migrations.before_batch")
            try:
                scanned, done = _batch(tenant, migration, batch, clock)
            except Exception as error:  # recorded and reported; other tenants go on
                _record_failure(tenant, migration, error, clock)
                run.failed = migration.name
                return run
            run.scanned += scanned
            progress(migration.name, scanned)
            crash_point("migrations.after_commit")
        run.applied.append(migration.name)
        crash_point("migrations.between_migrations")
    return run
