"""The support area's entry points: `nightly_maintenance` (Cloud Scheduler at 00:00 for
every job, and hourly from 22:00 to 02:00 on `/windows` for the work inside tenants' own
windows), the owner's `support_api` (backups, restores, maintenance jobs, the whole-tenant
export), `support_tickets` (the tickets API), `sla_alert` (the SLA clock's Cloud Tasks),
`status_page` (the public status page), `status_admin` (its management API),
`support_incidents` (acute incidents, containment, the breach register, the record of
processing) and `incident_task` (paging repeats and the breach clocks' Cloud Tasks).

Each is defined in its own module of `entries/`, named after it, and imported on first
access (a module `__getattr__`, PEP 562): functions-framework finds its target with
`hasattr`/`getattr` on this module, so the status page's cold start does not pay for the
nightly runner, the backups or the tickets' models of its seven siblings.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from functions.support import entries

# entries/<name>.py defines the entry point <name>, and nothing else is one.
ENTRY_POINTS = frozenset(m.name for m in pkgutil.iter_modules(entries.__path__))


def __getattr__(name: str) -> Any:
    if name not in ENTRY_POINTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    entry = getattr(importlib.import_module(f"{entries.__name__}.{name}"), name)
    globals()[name] = entry  # later lookups find it without this function
    return entry


def __dir__() -> list[str]:
    return sorted({*globals(), *ENTRY_POINTS})
