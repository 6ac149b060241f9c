"""The nightly job: every tenant's pending migrations, inside the tenant's own window.

A migration is work users could notice (documents change under them), so it runs only
while the tenant's maintenance window from its contract is open (default 00:00-03:00
Copenhagen, `shared.contracts`), and stops at the window's end or the run's deadline,
whichever comes first. Tenants being restored are left alone. Tenants run one after
another; a tenant whose migration fails is reported and the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from google.cloud import firestore

from functions.support.maintenance.migrations.engine import (
    BATCH,
    migrate_tenant,
    pending,
    state_ref,
)
from functions.support.maintenance.migrations.model import Migration, MigrationState
from functions.support.maintenance.migrations.registry import MIGRATIONS
from functions.support.maintenance.windows import DEFAULT_WINDOW, closes_at
from shared import contracts
from shared.contracts import LocalWindow
from shared.jobs import Clock, JobResult
from shared.tenancy import TENANTS, TenantData

NAME = "run_migrations"


def tenant_window(contract: dict[str, Any] | None) -> LocalWindow:
    """The contract's window, read alone (a record that fails to validate elsewhere still
    names its window); a tenant provisioned before contracts has the default."""
    raw = (contract or {}).get("maintenance_window")
    return DEFAULT_WINDOW if raw is None else LocalWindow.model_validate(raw)


def _tenant_ids(db: firestore.Client) -> Iterable[str]:
    return (ref.id for ref in db.collection(TENANTS).list_documents())


def migrate_tenants(
    db: firestore.Client,
    deadline: datetime,
    clock: Clock,
    *,
    tenant_ids: Iterable[str] | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
    batch: int = BATCH,
) -> JobResult:
    """Every tenant (or those named) in turn; one round trip for a tenant with nothing
    pending (its document, contract and migration record in one get_all)."""
    scanned, failures, finished = 0, [], True
    for tenant_id in tenant_ids if tenant_ids is not None else _tenant_ids(db):
        if clock() >= deadline:
            finished = False
            break
        tenant = TenantData(db, tenant_id)
        refs = [tenant.root, contracts.contract_ref(tenant), state_ref(tenant)]
        found = {s.reference.path: s.to_dict() for s in db.get_all(refs)}
        root, contract, state = (found.get(ref.path) for ref in refs)
        if not pending(MigrationState.of(state), migrations) or (root or {}).get("restoring_since"):
            continue
        closes = closes_at(tenant_window(contract), clock())
        if closes is None:
            continue  # its window is not open now: the next night's run that is inside it
        run = migrate_tenant(
            db,
            tenant_id,
            until=min(deadline, closes),
            clock=clock,
            migrations=migrations,
            batch=batch,
        )
        scanned += run.scanned
        if run.failed is not None:
            failures.append(f"{tenant_id}/{run.failed}")
        if run.cut_off and deadline <= closes:
            finished = False  # stopped by the run's deadline, not by the tenant's window
    return JobResult(name=NAME, processed=scanned, finished=finished, failures=failures)


def run_migrations(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """The nightly job (shared/jobs.py)."""
    return migrate_tenants(db, deadline, clock)
