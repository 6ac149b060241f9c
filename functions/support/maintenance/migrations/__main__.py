"""Operations staff's command line: which migrations each tenant has, and running them.

python -m functions.support.maintenance.migrations status [--tenant T]
python -m functions.support.maintenance.migrations run [--tenant T]

`run` runs now, whatever the tenant's window (a person chose to), batch by batch, so
Ctrl-C loses at most the batch under way; the nightly job keeps to the windows.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from functions.support.maintenance.migrations.engine import load_state, migrate_tenant, pending
from functions.support.maintenance.migrations.model import Migration, MigrationState
from functions.support.maintenance.migrations.registry import MIGRATIONS
from shared.gcp import firestore_client
from shared.tenancy import TENANTS, TenantData


def status_rows(state: MigrationState) -> list[tuple[str, str, str]]:
    """(migration, status, detail) per registered migration."""
    rows = []
    for migration in MIGRATIONS:
        applied = state.applied.get(migration.name)
        if applied is not None:
            detail = f"{applied.applied_at:%Y-%m-%d %H:%M} UTC, {applied.changed} changed"
            rows.append((migration.name, "applied", detail))
        elif state.failure is not None and state.failure.migration == migration.name:
            rows.append((migration.name, "failed", state.failure.error))
        elif state.running is not None and state.running.migration == migration.name:
            rows.append((migration.name, "pending", f"resumes after {state.running.scanned}"))
        else:
            rows.append((migration.name, "pending", migration.description))
    return rows


def _documents(tenant: TenantData, migration: Migration) -> int:
    """How many documents the migration scans (one aggregation), for the bar's total."""
    result = tenant.collection(migration.collection).count().get()  # type: ignore[no-untyped-call]
    return int(result[0][0].value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("status", "run"):
        commands.add_parser(name).add_argument("--tenant", default=None, help="one tenant id")
    args = parser.parse_args(argv)
    console = Console()
    db = firestore_client()
    tenant_ids = (
        [args.tenant] if args.tenant else [r.id for r in db.collection(TENANTS).list_documents()]
    )
    if args.command == "status":
        table = Table("tenant", "migration", "status", "detail")
        for tenant_id in tenant_ids:
            for row in status_rows(load_state(TenantData(db, tenant_id))):
                table.add_row(tenant_id, *row)
        console.print(table)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
        for tenant_id in tenant_ids:
            tenant = TenantData(db, tenant_id)
            tasks = {
                m.name: bar.add_task(f"{tenant_id} {m.name}", total=_documents(tenant, m))
                for m in pending(load_state(tenant))
            }

            def advance(name: str, count: int, tasks: dict[str, TaskID] = tasks) -> None:
                bar.advance(tasks[name], count)

            run = migrate_tenant(db, tenant_id, progress=advance)
            if run.failed:
                console.print(f"[red]{tenant_id}: {run.failed} failed[/red] (see status)")
    console.print("done")


if __name__ == "__main__":
    main()
