"""The floor for cold starts: a bare functions-framework HTTP function whose first
request does one raw Firestore read (the tenant document `?tenant=`)."""

from __future__ import annotations

import os
from functools import lru_cache

import flask
import functions_framework
from google.cloud import firestore


@lru_cache(maxsize=1)
def _db() -> firestore.Client:
    from google.auth.credentials import AnonymousCredentials

    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    return firestore.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]


@functions_framework.http
def first_read(request: flask.Request) -> flask.Response:
    snapshot = _db().document("tenants", request.args.get("tenant", "none")).get()
    return flask.jsonify({"exists": snapshot.exists})
