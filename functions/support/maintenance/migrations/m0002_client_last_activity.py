"""0002: `last_activity_at` on clients written before retention periods.

A retention period counts from a client's last activity, which every write that is
activity now records on the client (shared/clients.touch); a client written before has
none, so the retention job's query would never find it (kept forever, silently). This
sets it to the newest of the client's creation and last change. Log entries, courses and
answers of before are not read (a migration changes one document from its own fields):
a client with only such activity since its last change is dated earlier than it was,
which the 30-day warning to its professionals before any erasure makes up for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.support.maintenance.migrations.model import Migration, migration_name
from shared.clients import CLIENTS, LAST_ACTIVITY


def change(fields: dict[str, Any]) -> dict[str, Any] | None:
    if fields.get(LAST_ACTIVITY) is not None or fields.get("erasing"):
        return None
    moments = [m for m in (fields.get("created_at"), fields.get("updated_at")) if m is not None]
    if not moments or not all(isinstance(m, datetime) for m in moments):
        return None  # not a client record
    return {LAST_ACTIVITY: max(moments)}


MIGRATION = Migration(
    name=migration_name(__name__),
    description="last_activity_at on older clients (what retention counts from)",
    collection=CLIENTS,
    change=change,
)
