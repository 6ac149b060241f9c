"""Internal HTTP function `nightly_maintenance`, called by Cloud Scheduler at 00:00."""

from __future__ import annotations

import flask
import functions_framework

from shared.gcp import firestore_client
from shared.http import Api, Context
from shared.maintenance import MaintenanceReport, run_nightly

# Internal: reachable only by Cloud Scheduler (IAM invoker), so no Firebase principal.
maintenance = Api("nightly_maintenance", "Internal: nightly maintenance")


@maintenance.route(
    "POST",
    "/",
    summary="Run the nightly jobs until done or 03:00",
    roles=None,
    response=MaintenanceReport,
)
def run(ctx: Context, _: None) -> MaintenanceReport:
    return run_nightly(firestore_client())


@functions_framework.http
def nightly_maintenance(request: flask.Request) -> flask.Response:
    return maintenance(request)
