"""`status_page`: the public status page, no sign-in."""

from __future__ import annotations

from datetime import UTC, datetime

import flask

from functions.support.status import page as status
from functions.support.status import store as status_store
from shared.gcp import firestore_client
from shared.http import http_function
from shared.settings import get_settings


# Public, no sign-in: the page, /api/v2/summary.json and /history.atom; one read each.
@http_function()
def status_page(request: flask.Request) -> flask.Response:
    if request.method not in ("GET", "HEAD"):
        return flask.Response(status=405, headers={"Allow": "GET, HEAD"})
    summary = status_store.read_summary(firestore_client())
    return status.respond(request, summary, datetime.now(UTC), get_settings().status_page_url)
