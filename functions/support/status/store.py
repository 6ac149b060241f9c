"""Changes of the status page: each one transaction on `status/summary` (the page's one
read) together with the record it changes, then the e-mails to the affected tenants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.status import notice, notify
from functions.support.status.models import (
    CHANGES,
    HISTORY_DAYS,
    INCIDENTS,
    MAINTENANCES,
    SEVERITY,
    SUMMARY,
    TRANSITIONS,
    Component,
    ComponentState,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Maintenance,
    MaintenanceStarted,
    MaintenanceStatus,
    NewIncident,
    NewIncidentUpdate,
    NewMaintenance,
    NoticeTooShort,
    StateChange,
    Summary,
    UnknownTenant,
)
from shared import contracts, errors
from shared.events import record_event
from shared.ids import new_id
from shared.tenancy import TenantData
from shared.tenants import TenantStatus

Clock = Callable[[], datetime]
Writes = list[tuple[firestore.DocumentReference, dict[str, Any]]]


def _now() -> datetime:
    return datetime.now(UTC)


def read_summary(db: firestore.Client) -> Summary:
    snapshot = db.document(*SUMMARY).get()
    return Summary.model_validate(snapshot.to_dict() or {})


def current_state(summary: Summary, component: Component) -> ComponentState:
    found = [c for c in summary.changes if c.component is component]
    return found[-1].state if found else ComponentState.OPERATIONAL


def _prune(summary: Summary, now: datetime) -> None:
    """Keep 90 days on the page (and each component's last change before them)."""
    cutoff = now - timedelta(days=HISTORY_DAYS)
    summary.incidents = [
        i for i in summary.incidents if not i.resolved_at or i.resolved_at > cutoff
    ]
    summary.maintenances = [m for m in summary.maintenances if m.ends_at > cutoff]
    kept: list[StateChange] = []
    for component in Component:
        own = [c for c in summary.changes if c.component is component]
        older = [c for c in own if c.at <= cutoff]
        kept += older[-1:] + [c for c in own if c.at > cutoff]
    summary.changes = sorted(kept, key=lambda c: c.at)


def _change(
    db: firestore.Client,
    summary: Summary,
    states: dict[Component, ComponentState],
    at: datetime,
    source: str,
) -> Writes:
    writes: Writes = []
    for component, state in states.items():
        if current_state(summary, component) is state:
            continue
        change = StateChange(component=component, state=state, at=at, source=source)
        summary.changes.append(change)
        writes.append((db.collection(CHANGES).document(), change.model_dump(mode="json")))
    return writes


def _commit(
    db: firestore.Client, mutate: Callable[[Summary, datetime], Writes], clock: Clock
) -> Summary:
    ref = db.document(*SUMMARY)

    @firestore.transactional
    def run(transaction: firestore.Transaction) -> Summary:
        summary = Summary.model_validate(ref.get(transaction=transaction).to_dict() or {})
        now = clock()
        writes = mutate(summary, now)
        summary.updated_at = now
        _prune(summary, now)
        transaction.set(ref, summary.model_dump(mode="json"))
        for target, data in writes:
            transaction.set(target, data)
        return summary

    summary: Summary = run(db.transaction())
    return summary


# -- tenants ------------------------------------------------------------------------------


def affected(db: firestore.Client, tenants: list[str] | None) -> list[TenantData]:
    """The active tenants named (every active tenant for None); an unknown one is 422."""
    if tenants is None:
        query = db.collection("tenants").where(
            filter=FieldFilter("status", "==", TenantStatus.ACTIVE.value)
        )
        return [TenantData(db, s.id) for s in query.get()]
    found = []
    for tenant_id in sorted(set(tenants)):
        tenant = TenantData(db, tenant_id)
        snapshot = tenant.root.get()
        if not snapshot.exists or (snapshot.to_dict() or {}).get("status") != TenantStatus.ACTIVE:
            raise UnknownTenant(f"{tenant_id!r} is not an active tenant")
        found.append(tenant)
    return found


# -- incidents ----------------------------------------------------------------------------


def _worst_open(summary: Summary, component: Component, skip: str) -> ComponentState:
    states = [
        i.components[component]
        for i in summary.incidents
        if i.id != skip and i.status is not IncidentStatus.RESOLVED and component in i.components
    ]
    return max(states, key=SEVERITY.__getitem__, default=ComponentState.OPERATIONAL)


def open_incident(
    db: firestore.Client, by: str, body: NewIncident, clock: Clock = _now
) -> Incident:
    tenants = affected(db, body.tenants)
    incident_id = new_id("incident")
    opened: list[Incident] = []

    def mutate(summary: Summary, now: datetime) -> Writes:
        update = IncidentUpdate(
            id="1",
            status=body.status,
            message=body.message,
            at=now,
            components=body.components,
            expected_resolution_at=body.expected_resolution_at,
        )
        incident = Incident(
            id=incident_id,
            title=body.title,
            impact=body.impact,
            status=body.status,
            components=body.components,
            tenants=body.tenants,
            created_at=now,
            updated_at=now,
            expected_resolution_at=body.expected_resolution_at,
            updates=[update],
            created_by=by,
        )
        summary.incidents = [i for i in summary.incidents if i.id != incident_id] + [incident]
        opened.append(incident)
        writes = _change(db, summary, body.components, now, f"incident:{incident_id}")
        return [
            (db.collection(INCIDENTS).document(incident_id), incident.model_dump(mode="json")),
            *writes,
        ]

    _commit(db, mutate, clock)
    notify.incident(tenants, opened[-1], opened[-1].updates[-1])
    return opened[-1]


def update_incident(
    db: firestore.Client, incident_id: str, body: NewIncidentUpdate, clock: Clock = _now
) -> Incident:
    changed: list[Incident] = []

    def mutate(summary: Summary, now: datetime) -> Writes:
        incident = next((i for i in summary.incidents if i.id == incident_id), None)
        if incident is None:
            raise errors.NotFound("No such incident on the status page")
        if body.status not in TRANSITIONS[incident.status]:
            raise errors.InvalidTransition(
                f"An incident {incident.status} cannot become {body.status}"
            )
        resolved = body.status is IncidentStatus.RESOLVED
        components = {**incident.components, **body.components}
        if resolved:  # back to what other open incidents say, else operational
            components = {c: ComponentState.OPERATIONAL for c in components}
        update = IncidentUpdate(
            id=str(len(incident.updates) + 1),
            status=body.status,
            message=body.message,
            at=now,
            components=body.components,
            expected_resolution_at=None if resolved else body.expected_resolution_at,
        )
        incident.status, incident.updated_at, incident.components = body.status, now, components
        incident.updates.append(update)
        if body.expected_resolution_at is not None:
            incident.expected_resolution_at = body.expected_resolution_at
        if resolved:
            incident.resolved_at, incident.expected_resolution_at = now, None
            incident.cause, incident.prevention = body.cause, body.prevention
        states = {
            c: max(s, _worst_open(summary, c, incident_id), key=SEVERITY.__getitem__)
            for c, s in components.items()
        }
        changed.append(incident)
        writes = _change(db, summary, states, now, f"incident:{incident_id}")
        return [
            (db.collection(INCIDENTS).document(incident_id), incident.model_dump(mode="json")),
            *writes,
        ]

    _commit(db, mutate, clock)
    incident = changed[-1]
    notify.incident(affected_or_none(db, incident.tenants), incident, incident.updates[-1])
    return incident


def affected_or_none(db: firestore.Client, tenants: list[str] | None) -> list[TenantData]:
    """As `affected`, skipping a tenant no longer active (it was when the incident opened)."""
    if tenants is None:
        return affected(db, None)
    found = []
    for tenant_id in tenants:
        try:
            found += affected(db, [tenant_id])
        except UnknownTenant:
            continue
    return found


# -- maintenance --------------------------------------------------------------------------


def _short_notice(tenants: list[TenantData], body: NewMaintenance, now: datetime) -> list[str]:
    """The tenants whose contract's notice this maintenance breaks."""
    short = []
    for tenant in tenants:
        contract = contracts.load(tenant)
        rule = contract.maintenance_notice if contract else contracts.MaintenanceNotice()
        window = contract.maintenance_window if contract else contracts.DEFAULT_WINDOW
        if not notice.keeps_notice(rule, window, body.starts_at, body.ends_at, now):
            short.append(tenant.tenant_id)
    return short


def schedule_maintenance(
    db: firestore.Client, by: str, body: NewMaintenance, clock: Clock = _now
) -> Maintenance:
    tenants = affected(db, body.tenants)
    now = clock()
    short = _short_notice(tenants, body, now)
    if short and body.emergency is None:
        raise NoticeTooShort(
            f"The contracts of {', '.join(short)} need more notice; an emergency says why"
        )
    maintenance = Maintenance(
        id=new_id("maintenance"),
        title=body.title,
        description=body.description,
        components=body.components,
        tenants=body.tenants,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        announced_at=now,
        announced_by=by,
        emergency_reason=body.emergency.reason if body.emergency and short else None,
    )

    def mutate(summary: Summary, at: datetime) -> Writes:
        summary.maintenances = [m for m in summary.maintenances if m.id != maintenance.id] + [
            maintenance
        ]
        ref = db.collection(MAINTENANCES).document(maintenance.id)
        return [(ref, maintenance.model_dump(mode="json"))]

    _commit(db, mutate, clock)
    if maintenance.emergency_reason is not None:
        for tenant in tenants:  # the customer's own log shows why its notice was broken
            record_event(
                tenant,
                actor=by,
                action="status.emergency_maintenance",
                subject=f"{MAINTENANCES}/{maintenance.id}",
                details={
                    "reason": maintenance.emergency_reason,
                    "short_notice": tenant.tenant_id in short,
                    "starts_at": maintenance.starts_at.isoformat(),
                },
                event_id=f"maintenance-{maintenance.id}",
            )
    notify.maintenance(tenants, maintenance)
    return maintenance


def cancel_maintenance(
    db: firestore.Client, maintenance_id: str, clock: Clock = _now
) -> Maintenance:
    cancelled: list[Maintenance] = []

    def mutate(summary: Summary, now: datetime) -> Writes:
        found = next((m for m in summary.maintenances if m.id == maintenance_id), None)
        if found is None:
            raise errors.NotFound("No such maintenance on the status page")
        if found.status(now) is not MaintenanceStatus.SCHEDULED:
            raise MaintenanceStarted()
        found.cancelled_at = now
        cancelled.append(found)
        return [(db.collection(MAINTENANCES).document(found.id), found.model_dump(mode="json"))]

    _commit(db, mutate, clock)
    return cancelled[-1]


# -- components ---------------------------------------------------------------------------


def set_component(
    db: firestore.Client,
    component: Component,
    state: ComponentState,
    source: str,
    clock: Clock = _now,
) -> ComponentState:
    """Set a component's state (staff, the nightly backup, in production an uptime check)."""
    _commit(db, lambda summary, now: _change(db, summary, {component: state}, now, source), clock)
    return state
