"""`support_tickets`: the tickets API."""

from __future__ import annotations

import flask

from functions.support.tickets.routes import api as tickets_api
from shared.http import http_function


@http_function(tickets_api)
def support_tickets(request: flask.Request) -> flask.Response:
    return tickets_api(request)
