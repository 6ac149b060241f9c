"""What the status page shows at a moment, from the summary document: one view that the
HTML page, the Statuspage-shaped JSON and the Atom feed all render, so they agree.

Customers are never named: an incident or maintenance that affects only some tenants
says so, without saying which (the page is public).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from functions.support.sla.clock import Calendar
from functions.support.status.models import (
    HISTORY_DAYS,
    SEVERITY,
    Component,
    ComponentState,
    Incident,
    IncidentStatus,
    Maintenance,
    MaintenanceStatus,
    Summary,
)
from functions.support.status.uptime import Downtime, availability, uptime
from shared.contracts import SupportHours
from shared.support_terms import SUPPLIER_CLOSED, ClosedDays

PAGE_ID = "trivsel"
# The supplier's own support hours (SPEC S-2), for availability beside uptime.
SUPPORT_CALENDAR = Calendar(
    SupportHours(opens=time(9), closes=time(15)), ClosedDays(supplier_closed=SUPPLIER_CLOSED)
)

NAMES = {
    "da": {
        Component.SIGN_IN: "Log ind",
        Component.CLIENT_WORK: "Klientarbejde",
        Component.REMOTE_TASKS: "Fjernopgaver (links)",
        Component.VR_SESSIONS: "VR-sessioner",
        Component.MESSAGING: "E-mail og SMS",
        Component.BACKUP: "Natlig backup",
    },
    "en": {
        Component.SIGN_IN: "Sign-in",
        Component.CLIENT_WORK: "Client work",
        Component.REMOTE_TASKS: "Remote-task links",
        Component.VR_SESSIONS: "VR sessions",
        Component.MESSAGING: "E-mail and SMS",
        Component.BACKUP: "Nightly backup",
    },
}
# Statuspage's indicator for the worst component state, and its description.
INDICATOR = {
    ComponentState.OPERATIONAL: "none",
    ComponentState.MAINTENANCE: "maintenance",
    ComponentState.DEGRADED: "minor",
    ComponentState.PARTIAL_OUTAGE: "major",
    ComponentState.MAJOR_OUTAGE: "critical",
}


@dataclass(frozen=True)
class ComponentView:
    id: Component
    state: ComponentState
    uptime: float | None  # 90 days, around the clock, announced maintenance left out
    availability: float | None  # 90 days, support hours only
    updated_at: datetime | None


@dataclass(frozen=True)
class View:
    now: datetime
    updated_at: datetime | None
    components: list[ComponentView]
    worst: ComponentState
    open_incidents: list[Incident]
    past_incidents: list[Incident]  # resolved within 90 days, newest first
    maintenances: list[tuple[Maintenance, MaintenanceStatus]]  # scheduled or in progress
    past_maintenances: list[tuple[Maintenance, MaintenanceStatus]] = field(default_factory=list)


def downtimes(summary: Summary, component: Component) -> list[Downtime]:
    return [
        Downtime(m.starts_at, m.ends_at, announced=m.emergency_reason is None)
        for m in summary.maintenances
        if m.cancelled_at is None and component in m.components
    ]


def build(summary: Summary, now: datetime) -> View:
    since = now - timedelta(days=HISTORY_DAYS)
    running = [m for m in summary.maintenances if m.status(now) is MaintenanceStatus.IN_PROGRESS]
    components = []
    for component in Component:
        own = [c for c in summary.changes if c.component is component and c.at <= now]
        state = own[-1].state if own else ComponentState.OPERATIONAL
        if state is ComponentState.OPERATIONAL and any(component in m.components for m in running):
            state = ComponentState.MAINTENANCE
        maintenance = downtimes(summary, component)
        components.append(
            ComponentView(
                id=component,
                state=state,
                uptime=uptime(summary.changes, component, since, now, maintenance),
                availability=availability(
                    summary.changes, component, since, now, SUPPORT_CALENDAR, maintenance
                ),
                updated_at=own[-1].at if own else None,
            )
        )
    worst = max((c.state for c in components), key=SEVERITY.__getitem__)
    incidents = sorted(summary.incidents, key=lambda i: i.created_at, reverse=True)
    by_time = sorted(summary.maintenances, key=lambda m: m.starts_at)
    states = [(m, m.status(now)) for m in by_time]
    return View(
        now=now,
        updated_at=summary.updated_at,
        components=components,
        worst=worst,
        open_incidents=[i for i in incidents if i.status is not IncidentStatus.RESOLVED],
        past_incidents=[i for i in incidents if i.status is IncidentStatus.RESOLVED],
        maintenances=[
            (m, s)
            for m, s in states
            if s in (MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS)
        ],
        past_maintenances=[(m, s) for m, s in reversed(states) if s is MaintenanceStatus.COMPLETED],
    )


# -- the JSON of Statuspage's /api/v2/summary.json ---------------------------------------------


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _components(ids: list[Component], locale: str) -> list[dict[str, str]]:
    return [{"id": c.value, "name": NAMES[locale][c]} for c in ids]


def _incident(incident: Incident, locale: str, url: str) -> dict[str, Any]:
    monitoring = next(
        (u.at for u in incident.updates if u.status is IncidentStatus.MONITORING), None
    )
    return {
        "id": incident.id,
        "name": incident.title.in_(locale),
        "status": incident.status.value,
        "impact": incident.impact.value,
        "created_at": _when(incident.created_at),
        "updated_at": _when(incident.updated_at),
        "started_at": _when(incident.created_at),
        "monitoring_at": _when(monitoring),
        "resolved_at": _when(incident.resolved_at),
        "shortlink": f"{url}#incident-{incident.id}",
        "page_id": PAGE_ID,
        "expected_resolution_at": _when(incident.expected_resolution_at),
        "cause": incident.cause.in_(locale) if incident.cause else None,
        "prevention": incident.prevention.in_(locale) if incident.prevention else None,
        "all_tenants": incident.tenants is None,
        "incident_updates": [
            {
                "id": f"{incident.id}-{update.id}",
                "incident_id": incident.id,
                "status": update.status.value,
                "body": update.message.in_(locale),
                "created_at": _when(update.at),
                "updated_at": _when(update.at),
                "display_at": _when(update.at),
                "affected_components": [
                    {"code": c.value, "name": NAMES[locale][c], "new_status": s.value}
                    for c, s in update.components.items()
                ],
            }
            for update in reversed(incident.updates)  # newest first, as Statuspage
        ],
        "components": _components(list(incident.components), locale),
    }


def _maintenance(
    found: Maintenance, status: MaintenanceStatus, locale: str, url: str
) -> dict[str, Any]:
    return {
        "id": found.id,
        "name": found.title.in_(locale),
        "status": status.value,
        "impact": "maintenance",
        "scheduled_for": _when(found.starts_at),
        "scheduled_until": _when(found.ends_at),
        "created_at": _when(found.announced_at),
        "updated_at": _when(found.announced_at),
        "shortlink": f"{url}#maintenance-{found.id}",
        "page_id": PAGE_ID,
        "emergency": found.emergency_reason is not None,
        "all_tenants": found.tenants is None,
        "incident_updates": [
            {
                "id": f"{found.id}-1",
                "status": "scheduled",
                "body": found.description.in_(locale),
                "created_at": _when(found.announced_at),
                "display_at": _when(found.announced_at),
            }
        ],
        "components": _components(found.components, locale),
    }


def summary_json(view: View, locale: str, url: str, descriptions: dict[str, str]) -> dict[str, Any]:
    return {
        "page": {
            "id": PAGE_ID,
            "name": "Trivsel",
            "url": url,
            "time_zone": "Europe/Copenhagen",
            "updated_at": _when(view.updated_at or view.now),
        },
        "components": [
            {
                "id": c.id.value,
                "name": NAMES[locale][c.id],
                "status": c.state.value,
                "position": position,
                "updated_at": _when(c.updated_at),
                "page_id": PAGE_ID,
                "group": False,
                "group_id": None,
                "only_show_if_degraded": False,
                "uptime_90d": c.uptime,
                "availability_90d": c.availability,
            }
            for position, c in enumerate(view.components, start=1)
        ],
        "incidents": [_incident(i, locale, url) for i in view.open_incidents],
        "scheduled_maintenances": [_maintenance(m, s, locale, url) for m, s in view.maintenances],
        "status": {
            "indicator": INDICATOR[view.worst],
            "description": descriptions[view.worst.value],
        },
    }


# -- the Atom feed: one entry per incident update and per announced maintenance ----------------


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: datetime
    link: str
    content: str


def entries(view: View, locale: str, url: str, status_names: dict[str, str]) -> list[Entry]:
    found = []
    for incident in (*view.open_incidents, *view.past_incidents):
        for update in incident.updates:
            found.append(
                Entry(
                    id=f"tag:trivsel.dk,2026:status/incidents/{incident.id}/updates/{update.id}",
                    title=f"{incident.title.in_(locale)}: {status_names[update.status.value]}",
                    updated=update.at,
                    link=f"{url}#incident-{incident.id}",
                    content=update.message.in_(locale),
                )
            )
    for maintenance, _ in (*view.maintenances, *view.past_maintenances):
        found.append(
            Entry(
                id=f"tag:trivsel.dk,2026:status/maintenances/{maintenance.id}",
                title=maintenance.title.in_(locale),
                updated=maintenance.announced_at,
                link=f"{url}#maintenance-{maintenance.id}",
                content=maintenance.description.in_(locale),
            )
        )
    return sorted(found, key=lambda e: e.updated, reverse=True)
