"""`status_admin`: the supplier's support staff and owners manage the public status page:
incidents and their updates, planned maintenance, and component states."""

from __future__ import annotations

from functions.support.status import store
from functions.support.status.models import (
    Component,
    ComponentAnswer,
    ComponentChange,
    Incident,
    IncidentList,
    Maintenance,
    MaintenanceList,
    MaintenanceStarted,
    NewIncident,
    NewIncidentUpdate,
    NewMaintenance,
    NoticeTooShort,
    UnknownTenant,
)
from shared import errors
from shared.gcp import firestore_client
from shared.http import Api
from shared.principal import Principal, Role

api = Api("Trivsel status page: incidents, planned maintenance and component states")
STAFF = [Role.SUPPORT, Role.OWNER]


@api.route(
    "POST",
    "/incidents",
    summary="Open an incident (e-mails the affected tenants' administrators)",
    roles=STAFF,
    status=201,
    refusals=[UnknownTenant],
)
def open_incident(caller: Principal, body: NewIncident) -> Incident:
    return store.open_incident(firestore_client(), caller.uid, body)


@api.route("GET", "/incidents", summary="The incidents on the page (90 days)", roles=STAFF)
def list_incidents() -> IncidentList:
    return IncidentList(incidents=store.read_summary(firestore_client()).incidents)


@api.route(
    "POST",
    "/incidents/<incident_id>/updates",
    summary="Post an update: identified, monitoring, resolved (with cause and prevention)",
    roles=STAFF,
    status=201,
    refusals=[errors.InvalidTransition],
)
def update_incident(incident_id: str, body: NewIncidentUpdate) -> Incident:
    return store.update_incident(firestore_client(), incident_id, body)


@api.route(
    "POST",
    "/maintenances",
    summary="Announce planned maintenance (refused if an affected contract's notice is broken,"
    " unless an emergency says why)",
    roles=STAFF,
    status=201,
    refusals=[NoticeTooShort, UnknownTenant],
)
def announce_maintenance(caller: Principal, body: NewMaintenance) -> Maintenance:
    return store.schedule_maintenance(firestore_client(), caller.uid, body)


@api.route("GET", "/maintenances", summary="The maintenance on the page (90 days)", roles=STAFF)
def list_maintenances() -> MaintenanceList:
    return MaintenanceList(maintenances=store.read_summary(firestore_client()).maintenances)


@api.route(
    "POST",
    "/maintenances/<maintenance_id>/cancel",
    summary="Cancel maintenance that has not started",
    roles=STAFF,
    refusals=[MaintenanceStarted],
)
def cancel_maintenance(maintenance_id: str) -> Maintenance:
    return store.cancel_maintenance(firestore_client(), maintenance_id)


@api.route(
    "PUT",
    "/components/<component>",
    summary="Set a component's state by hand",
    roles=STAFF,
)
def set_component(caller: Principal, component: str, body: ComponentChange) -> ComponentAnswer:
    try:
        which = Component(component)
    except ValueError:
        raise errors.NotFound("No such component") from None
    state = store.set_component(firestore_client(), which, body.state, f"staff:{caller.uid}")
    return ComponentAnswer(component=which, state=state)
