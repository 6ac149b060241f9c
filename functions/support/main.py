"""The support area's entry points: `nightly_maintenance` (Cloud Scheduler at 00:00 for
every job, and hourly from 22:00 to 02:00 on `/windows` for the work inside tenants' own
windows), the owner's `support_api` (backups, restores, maintenance jobs, the whole-tenant
export), `support_tickets` (the tickets API), `sla_alert` (the SLA clock's Cloud Tasks),
`status_page` (the public status page), `status_admin` (its management API),
`support_incidents` (acute incidents, containment, the breach register, the record of
processing) and `incident_task` (paging repeats and the breach clocks' Cloud Tasks)."""

from __future__ import annotations

from datetime import UTC, datetime

import flask

from functions.support import routes
from functions.support.breaches import notices
from functions.support.exports import routes as export_routes
from functions.support.incidents import paging
from functions.support.incidents.models import SupportTask, TaskOutcome
from functions.support.incidents.routes import api as incidents_api
from functions.support.maintenance.runner import MaintenanceReport, run_nightly, run_windows
from functions.support.sla.alerts import handle as handle_alert
from functions.support.status import page as status
from functions.support.status import store as status_store
from functions.support.status.routes import api as status_api
from functions.support.tickets.models import AlertOutcome, SlaAlert
from functions.support.tickets.routes import api as tickets_api
from shared.gcp import firestore_client
from shared.http import Api, http_function
from shared.settings import get_settings

# Internal: reachable only by Cloud Scheduler (IAM invoker), so no Firebase principal.
maintenance = Api("Internal: nightly maintenance")
# Internal: the Cloud Tasks of the SLA clock (IAM invoker), so no Firebase principal.
alerts_api = Api("Internal: SLA warnings and breaches")
support = Api(
    "Trivsel support: the owner's restore points, restores and maintenance jobs; "
    "the administrator's whole-tenant export"
)
routes.register(support)
export_routes.register(support)
# Internal: the Cloud Tasks of paging and of the breach clocks (IAM invoker).
incident_tasks = Api("Internal: incident paging and breach clocks")


@maintenance.route("POST", "/", summary="Run the nightly jobs until done or 03:00", roles=None)
def run() -> MaintenanceReport:
    return run_nightly(firestore_client())


@maintenance.route(
    "POST", "/windows", summary="Run the work inside tenants' open windows", roles=None
)
def windows() -> MaintenanceReport:
    return run_windows(firestore_client())


@alerts_api.route("POST", "/", summary="Deliver one SLA warning or breach if due", roles=None)
def deliver_alert(body: SlaAlert) -> AlertOutcome:
    return handle_alert(firestore_client(), body, datetime.now(UTC))


@incident_tasks.route("POST", "/", summary="One paging step or breach reminder, if due", roles=None)
def deliver_incident_task(body: SupportTask) -> TaskOutcome:
    if body.kind == "page":
        return paging.page(firestore_client(), body, datetime.now(UTC))
    return notices.handle(firestore_client(), body, datetime.now(UTC))


@http_function(maintenance)
def nightly_maintenance(request: flask.Request) -> flask.Response:
    return maintenance(request)


@http_function(support)
def support_api(request: flask.Request) -> flask.Response:
    return support(request)


@http_function(tickets_api)
def support_tickets(request: flask.Request) -> flask.Response:
    return tickets_api(request)


@http_function(alerts_api)
def sla_alert(request: flask.Request) -> flask.Response:
    return alerts_api(request)


@http_function(status_api)
def status_admin(request: flask.Request) -> flask.Response:
    return status_api(request)


# Public, no sign-in: the page, /api/v2/summary.json and /history.atom; one read each.
@http_function()
def status_page(request: flask.Request) -> flask.Response:
    if request.method not in ("GET", "HEAD"):
        return flask.Response(status=405, headers={"Allow": "GET, HEAD"})
    summary = status_store.read_summary(firestore_client())
    return status.respond(request, summary, datetime.now(UTC), get_settings().status_page_url)


@http_function(incidents_api)
def support_incidents(request: flask.Request) -> flask.Response:
    return incidents_api(request)


@http_function(incident_tasks)
def incident_task(request: flask.Request) -> flask.Response:
    return incident_tasks(request)
