"""`sla_alert`: the SLA clock's Cloud Tasks."""

from __future__ import annotations

from datetime import UTC, datetime

import flask

from functions.support.sla.alerts import handle as handle_alert
from functions.support.tickets.models import AlertOutcome, SlaAlert
from shared.gcp import firestore_client
from shared.http import Api, http_function

# Internal: the Cloud Tasks of the SLA clock (IAM invoker), so no Firebase principal.
alerts_api = Api("Internal: SLA warnings and breaches")


@alerts_api.route("POST", "/", summary="Deliver one SLA warning or breach if due", roles=None)
def deliver_alert(body: SlaAlert) -> AlertOutcome:
    return handle_alert(firestore_client(), body, datetime.now(UTC))


@http_function(alerts_api)
def sla_alert(request: flask.Request) -> flask.Response:
    return alerts_api(request)
