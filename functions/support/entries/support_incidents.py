"""`support_incidents`: acute incidents, containment, the breach register, the record of
processing."""

from __future__ import annotations

import flask

from functions.support.incidents.routes import api as incidents_api
from shared.http import http_function


@http_function(incidents_api)
def support_incidents(request: flask.Request) -> flask.Response:
    return incidents_api(request)
