"""Each tenant's own maintenance window: is it open now, and when does it close (pure).

Work a tenant's users could notice (a restore; migrations later) runs only inside the
window of its contract (`Contract.maintenance_window`, local Europe/Copenhagen times; a
window may run past midnight, Handsonsimply's 23:00-02:00), or 00:00-03:00 for a tenant
without a contract. Cloud Scheduler calls the runner every hour from 22:00 to 02:00
(infra/deployment.toml `tenant-windows`, plus the 00:00 `nightly-maintenance`), so every
window's first hour gets a run; each run does only what is inside each tenant's window.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from google.cloud import firestore

from shared import contracts
from shared.contracts import LocalWindow
from shared.subscriptions import COPENHAGEN
from shared.tenancy import TenantData

DEFAULT_WINDOW = LocalWindow(start=time(0), end=time(3))


def closes_at(window: LocalWindow, moment: datetime) -> datetime | None:
    """The UTC moment the window open at `moment` closes; None when it is closed.

    The end is a wall-clock time on the local day it falls on: on the night clocks go
    forward a 02:00 end that does not exist is read as 03:00 summer time (zoneinfo's fold
    0), and on the night they go back the first 02:00 counts, so a window never runs long.
    """
    if not window.contains(moment):
        return None
    local = moment.astimezone(COPENHAGEN)
    day = local.date()
    if window.start > window.end and local.time().replace(tzinfo=None) >= window.start:
        day += timedelta(days=1)  # opened before midnight: it closes tomorrow
    end = datetime.combine(day, window.end, COPENHAGEN).astimezone(UTC)
    return end if end > moment else None


def window_of(db: firestore.Client, tenant_id: str) -> LocalWindow:
    """The tenant's maintenance window from its contract, else the default 00:00-03:00."""
    try:
        contract = contracts.load(TenantData(db, tenant_id))
    except ValueError:  # a malformed record must not stop the night: the default applies
        return DEFAULT_WINDOW
    return contract.maintenance_window if contract is not None else DEFAULT_WINDOW
