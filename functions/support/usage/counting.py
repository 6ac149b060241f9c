"""What the usage statistics count, and how small cells are suppressed (pure logic).

Counts come from the tenants' event logs: each event action maps to one measure. Active
users and clients are distinct ids in a month. To count each once the counter document
keeps them, but only as salted hashes (a random salt per month and tenant): no user's or
client's id is stored beside the statistics, an erased client's id is not found there, and
the report gives numbers only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
SMALLEST_CELL = 5
ACTIONS: dict[str, str] = {
    "course.assigned": "courses_assigned",
    "exercise.perform": "exercises_performed",
    "remote_task.sent": "remote_tasks_sent",
    "remote_task.answered": "remote_tasks_answered",
    "vr.session": "vr_sessions",
    "wellbeing.participated": "checks_taken",
}
MEASURES = ("active_users", "clients", *ACTIONS.values())


class MonthCounts(BaseModel):
    """One month of a tenant, as counted (before suppression)."""

    counts: dict[str, int]
    actors: set[str]
    clients: set[str]


def month_of(moment: datetime) -> str:
    return moment.astimezone(COPENHAGEN).strftime("%Y-%m")


def count(events: Iterable[dict[str, object]]) -> dict[str, MonthCounts]:
    """Events (their `at`, `action`, `actor`, `client_id`) counted by month."""
    months: dict[str, MonthCounts] = {}
    for event in events:
        at = event.get("at")
        if not isinstance(at, datetime):
            continue
        month = months.setdefault(month_of(at), MonthCounts(counts={}, actors=set(), clients=set()))
        measure = ACTIONS.get(str(event.get("action")))
        if measure is not None:
            month.counts[measure] = month.counts.get(measure, 0) + 1
        actor = event.get("actor")
        if isinstance(actor, str) and actor not in ("system", "owner"):
            month.actors.add(actor)
        client_id = event.get("client_id")
        if isinstance(client_id, str):
            month.clients.add(client_id)
    return months


def suppress(value: int) -> int | None:
    """A cell under 5 is not shown (None): too small to be anonymous. Zero is shown."""
    return value if value == 0 or value >= SMALLEST_CELL else None


def cells(counts: dict[str, int], actors: int, clients: int) -> dict[str, int | None]:
    raw = {"active_users": actors, "clients": clients} | {
        m: counts.get(m, 0) for m in ACTIONS.values()
    }
    return {m: suppress(raw[m]) for m in MEASURES}


def pseudonym(salt: str, value: str) -> str:
    """What the counter keeps of an id: enough to count it once, not to find it again."""
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()[:24]
