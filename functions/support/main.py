"""Internal HTTP function `nightly_maintenance`, called by Cloud Scheduler at 00:00."""

from __future__ import annotations

import flask

from functions.support.maintenance.runner import MaintenanceReport, run_nightly
from shared.gcp import firestore_client
from shared.http import Api, http_function

# Internal: reachable only by Cloud Scheduler (IAM invoker), so no Firebase principal.
maintenance = Api("Internal: nightly maintenance")


@maintenance.route("POST", "/", summary="Run the nightly jobs until done or 03:00", roles=None)
def run() -> MaintenanceReport:
    return run_nightly(firestore_client())


@http_function(maintenance)
def nightly_maintenance(request: flask.Request) -> flask.Response:
    return maintenance(request)
