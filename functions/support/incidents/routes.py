"""`support_incidents`: any user reports an acute incident straight to the supplier; the
on-call staff acknowledge it; the owner keeps the rota, contains a breach per tenant and
keeps the breach register; the administrator reads their own tenant's part of a breach and
its 72-hour clock, and the record of processing."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.support.breaches import notices, register
from functions.support.breaches.models import (
    Breach,
    BreachList,
    BreachUpdate,
    NewBreach,
    RegisterExport,
    UnknownTenant,
)
from functions.support.incidents import containment, paging, rota
from functions.support.incidents.models import (
    Containment,
    ContainmentAnswer,
    Incident,
    IncidentList,
    NewIncident,
    NotOnCallStaff,
    Rota,
    RotaAnswer,
)
from functions.support.processing import record
from functions.support.tickets.models import DownloadAnswer
from shared import errors
from shared.gcp import firestore_client
from shared.http import Api
from shared.principal import Principal, Role
from shared.tenancy import TenantData

api = Api(
    "Trivsel acute incidents, breach containment, the breach register, the record of processing"
)
MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
ON_CALL = [Role.OWNER, Role.SUPPORT]
OWNER = [Role.OWNER]


def _now() -> datetime:
    return datetime.now(UTC)


def _fresh(breach: Breach) -> Breach:
    """A breach with every tenant's delivered notice picked up from the outbox."""
    db = firestore_client()
    for tenant_id in breach.tenant_ids:
        notices.refresh(db, breach, tenant_id, _now())
    return breach


# -- every user --------------------------------------------------------------------------


@api.route(
    "POST",
    "/incidents",
    summary="Report an acute incident (hacking, a suspected breach) straight to the supplier",
    roles=MEMBERS,
    status=201,
)
def report_incident(caller: Principal, tenant: TenantData, body: NewIncident) -> Incident:
    return paging.report(caller, tenant, body, _now())


# -- the supplier's on-call staff --------------------------------------------------------


@api.route("GET", "/incidents", summary="Acute incidents, newest first", roles=ON_CALL)
def list_incidents() -> IncidentList:
    return paging.listing(firestore_client())


@api.route("GET", "/incidents/<incident_id>", summary="One acute incident", roles=ON_CALL)
def get_incident(incident_id: str) -> Incident:
    return paging.get(firestore_client(), incident_id)


@api.route(
    "POST",
    "/incidents/<incident_id>/acknowledge",
    summary="I have it: the paging stops",
    roles=ON_CALL,
)
def acknowledge_incident(caller: Principal, incident_id: str) -> Incident:
    return paging.acknowledge(firestore_client(), incident_id, caller.uid, _now())


# -- the owner ---------------------------------------------------------------------------


@api.route(
    "GET", "/desk/rota", summary="The on-call rota", roles=ON_CALL, refusals=[errors.NotFound]
)
def get_rota() -> RotaAnswer:
    return rota.get_rota(firestore_client(), _now())


@api.route(
    "PUT",
    "/desk/rota",
    summary="Set the on-call rota: a primary and a secondary from the staff register",
    roles=OWNER,
    refusals=[NotOnCallStaff],
)
def put_rota(caller: Principal, body: Rota) -> RotaAnswer:
    return rota.set_rota(firestore_client(), body, _now(), caller.uid)


@api.route(
    "POST",
    "/tenants/<tenant_id>/containment",
    summary="Contain a breach in one tenant: sign everyone out, force password resets, void links",
    roles=OWNER,
)
def contain(caller: Principal, tenant_id: str, body: Containment) -> ContainmentAnswer:
    caller.owner_access(tenant_id, f"containment of incident {body.incident_id}")
    return containment.contain(firestore_client(), tenant_id, body.incident_id, caller.uid, _now())


@api.route(
    "POST",
    "/breaches",
    summary="Record a personal-data breach (Art. 33) and notify the controllers concerned",
    roles=OWNER,
    status=201,
    refusals=[UnknownTenant],
)
def open_breach(caller: Principal, body: NewBreach) -> Breach:
    return register.open_breach(firestore_client(), body, caller.uid, _now())


@api.route("GET", "/breaches", summary="The breach register", roles=OWNER)
def list_breaches() -> BreachList:
    return register.listing(firestore_client())


@api.route("GET", "/breaches/<breach_id>", summary="One breach with its clocks", roles=OWNER)
def get_breach(breach_id: str) -> Breach:
    return _fresh(register.get(firestore_client(), breach_id))


@api.route(
    "POST",
    "/breaches/<breach_id>/updates",
    summary="Append a phased update (the register is append-only)",
    roles=OWNER,
    status=201,
    refusals=[UnknownTenant],
)
def update_breach(caller: Principal, breach_id: str, body: BreachUpdate) -> Breach:
    return register.add_update(firestore_client(), breach_id, body, caller.uid, _now())


@api.route(
    "POST",
    "/breaches/<breach_id>/notices/<tenant_id>",
    summary="Send the Danish notice to the controller's contacts (72 hours from delivery)",
    roles=OWNER,
    refusals=[errors.InvalidTransition],
)
def send_notice(breach_id: str, tenant_id: str) -> Breach:
    db = firestore_client()
    breach = register.get(db, breach_id, tenant_id)
    notices.send_notice(db, breach, tenant_id, _now())
    return register.get(db, breach_id)


@api.route(
    "GET",
    "/breach-register/export",
    summary="The whole register for an auditor: every entry, the chain and its verification",
    roles=OWNER,
)
def export_register() -> RegisterExport:
    return register.export(firestore_client(), _now())


@api.route(
    "GET",
    "/tenants/<tenant_id>/record-of-processing",
    summary="A tenant's record of processing (Art. 30(2))",
    roles=OWNER,
)
def owner_record(caller: Principal, tenant_id: str) -> record.ProcessingRecord:
    return record.build(caller.owner_access(tenant_id, "record of processing"), _now())


# -- the tenant's administrator ----------------------------------------------------------


@api.route(
    "GET", "/tenant/breaches", summary="Breaches that concern your organisation", roles=[Role.ADMIN]
)
def tenant_breaches(tenant: TenantData) -> BreachList:
    found = register.listing(firestore_client(), tenant.tenant_id)
    for breach in found.breaches:
        notices.refresh(firestore_client(), breach, tenant.tenant_id, _now())
    return found


@api.route(
    "GET",
    "/tenant/breaches/<breach_id>",
    summary="Your part of a breach and your own 72 hours to Datatilsynet",
    roles=[Role.ADMIN],
)
def tenant_breach(tenant: TenantData, breach_id: str) -> Breach:
    breach = register.get(firestore_client(), breach_id, tenant.tenant_id)
    return notices.refresh(firestore_client(), breach, tenant.tenant_id, _now())


@api.route(
    "GET",
    "/tenant/record-of-processing",
    summary="Your record of processing (Art. 30(2)) as JSON",
    roles=[Role.ADMIN],
)
def tenant_record(tenant: TenantData) -> record.ProcessingRecord:
    return record.build(tenant, _now())


@api.route(
    "GET",
    "/tenant/record-of-processing/page",
    summary="Your record of processing as a printable Danish page, by a short-lived link",
    roles=[Role.ADMIN],
)
def tenant_record_page(tenant: TenantData) -> DownloadAnswer:
    return record.page(tenant, _now())
