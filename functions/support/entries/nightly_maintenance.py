"""`nightly_maintenance`: Cloud Scheduler at 00:00 for every job, and hourly from 22:00 to
02:00 on `/windows` for the work inside tenants' own windows."""

from __future__ import annotations

import flask

from functions.support.maintenance.runner import MaintenanceReport, run_nightly, run_windows
from shared.gcp import firestore_client
from shared.http import Api, http_function

# Internal: reachable only by Cloud Scheduler (IAM invoker), so no Firebase principal.
maintenance = Api("Internal: nightly maintenance")


@maintenance.route("POST", "/", summary="Run the nightly jobs until done or 03:00", roles=None)
def run() -> MaintenanceReport:
    return run_nightly(firestore_client())


@maintenance.route(
    "POST", "/windows", summary="Run the work inside tenants' open windows", roles=None
)
def windows() -> MaintenanceReport:
    return run_windows(firestore_client())


@http_function(maintenance)
def nightly_maintenance(request: flask.Request) -> flask.Response:
    return maintenance(request)
