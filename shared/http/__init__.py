"""The HTTP layer every HTTP function shares: routing, auth, parsing, errors, CORS.

An HTTP function is an `Api`: a table of routes whose handlers are plain typed
functions. A handler names what it needs as parameters — `caller: Principal`,
`tenant: TenantData`, `body: <model>`, `query: <model>`, its path parameters — and
returns a pydantic model (or None for 204). This package parses and checks all of
that, answers refusals as RFC 9457 problems and builds the OpenAPI document from
the same declarations, so the code and its document cannot drift apart.
"""

from shared.http._api import (
    AUTH_REFUSALS,
    MAX_BODY_BYTES,
    Api,
    CsvText,
    JsonStream,
    Route,
    caller_address,
    origin_allowed,
    problem_response,
)
from shared.http._entry import cloud_event_function, entry_points, http_function
from shared.http._idempotency import purge_idempotency_keys
from shared.http._openapi import openapi_document

__all__ = [
    "AUTH_REFUSALS",
    "MAX_BODY_BYTES",
    "Api",
    "CsvText",
    "JsonStream",
    "Route",
    "caller_address",
    "cloud_event_function",
    "entry_points",
    "http_function",
    "openapi_document",
    "origin_allowed",
    "problem_response",
    "purge_idempotency_keys",
]
