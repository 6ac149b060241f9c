"""`status_admin`: the status page's management API."""

from __future__ import annotations

import flask

from functions.support.status.routes import api as status_api
from shared.http import http_function


@http_function(status_api)
def status_admin(request: flask.Request) -> flask.Response:
    return status_api(request)
