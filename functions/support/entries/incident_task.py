"""`incident_task`: paging repeats and the breach clocks' Cloud Tasks."""

from __future__ import annotations

from datetime import UTC, datetime

import flask

from functions.support.breaches import notices
from functions.support.incidents import paging
from functions.support.incidents.models import SupportTask, TaskOutcome
from shared.gcp import firestore_client
from shared.http import Api, http_function

# Internal: the Cloud Tasks of paging and of the breach clocks (IAM invoker).
incident_tasks = Api("Internal: incident paging and breach clocks")


@incident_tasks.route("POST", "/", summary="One paging step or breach reminder, if due", roles=None)
def deliver_incident_task(body: SupportTask) -> TaskOutcome:
    if body.kind == "page":
        return paging.page(firestore_client(), body, datetime.now(UTC))
    return notices.handle(firestore_client(), body, datetime.now(UTC))


@http_function(incident_tasks)
def incident_task(request: flask.Request) -> flask.Response:
    return incident_tasks(request)
