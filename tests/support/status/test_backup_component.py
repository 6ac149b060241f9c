"""The nightly backup's outcome sets the backup component of the status page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from functions.support.maintenance.backups.backup import backup_tenant
from functions.support.maintenance.runner import JOBS
from functions.support.status.backup import backup_state, record_backup_outcome
from functions.support.status.models import ComponentState
from shared.gcp import firestore_client
from tests.helpers import create_tenant, functions_url
from tests.support.status.helpers import PAGE


@pytest.mark.parametrize(
    ("tenants", "missing", "state"),
    [
        (10, 0, ComponentState.OPERATIONAL),
        (10, 1, ComponentState.DEGRADED),  # a tenth
        (10, 2, ComponentState.PARTIAL_OUTAGE),
        (10, 10, ComponentState.MAJOR_OUTAGE),
        (0, 0, ComponentState.OPERATIONAL),
    ],
)
def test_the_backup_state_from_how_many_tenants_missed_tonight(
    tenants: int, missing: int, state: ComponentState
) -> None:
    assert backup_state(tenants, missing) is state


def test_the_nightly_runner_reports_the_backup_after_backing_up() -> None:
    names = [job.__name__ for job in JOBS]
    assert "backup_tenants" in names
    assert JOBS[names.index("backup_tenants")].__wrapped__.__name__ == "backup_tenants"  # type: ignore[attr-defined]


def _backup_on_page() -> str:
    reply = requests.get(functions_url(f"{PAGE}api/v2/summary.json"), timeout=30)
    return str(next(c for c in reply.json()["components"] if c["id"] == "backup")["status"])


@pytest.mark.usefixtures("stack")
def test_a_tenant_without_tonights_backup_makes_a_partial_outage_until_it_is_backed_up() -> None:
    db = firestore_client()
    done, failed, stale = create_tenant(), create_tenant(), create_tenant()

    def clock() -> datetime:
        return datetime.now(UTC)

    backup_tenant(db, done, taken_at=clock())
    state = record_backup_outcome(db, clock, [done, failed])
    assert state is ComponentState.PARTIAL_OUTAGE
    assert _backup_on_page() == "partial_outage"
    backup_tenant(db, failed, taken_at=clock())
    record_backup_outcome(db, clock, [done, failed])
    assert _backup_on_page() == "operational"
    # A backup from the night before is not tonight's.
    backup_tenant(db, stale, taken_at=clock() - timedelta(hours=21))
    assert record_backup_outcome(db, clock, [stale]) is ComponentState.MAJOR_OUTAGE
    assert _backup_on_page() == "major_outage"
    record_backup_outcome(db, clock, [done, failed])
