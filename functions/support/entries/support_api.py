"""`support_api`: the owner's restore points, restores and maintenance jobs; the
administrator's whole-tenant export."""

from __future__ import annotations

import flask

from functions.support import routes
from functions.support.exports import routes as export_routes
from functions.support.usage import routes as usage_routes
from shared.http import Api, http_function

support = Api(
    "Trivsel support: the owner's restore points, restores and maintenance jobs; "
    "the administrator's whole-tenant export"
)
routes.register(support)
export_routes.register(support)
usage_routes.register(support)


@http_function(support)
def support_api(request: flask.Request) -> flask.Response:
    return support(request)
