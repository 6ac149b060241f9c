"""Operability: structured logs tied to a request id, and metrics (see README, "Operations").

`logs` formats every log line for Cloud Logging and keeps the request's context;
`metrics` is the one home of the instruments; `observe_request` is what every entry
point (shared.http.http_function, cloud_event_function) runs each call inside.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from shared.observability import logs, metrics
from shared.observability.logs import bind_caller, current_request_id, matched_route

__all__ = [
    "FAULT_HEADER",
    "bind_caller",
    "current_request_id",
    "inject_fault",
    "logs",
    "matched_route",
    "metrics",
    "observe_request",
]

REQUEST_ID_HEADER = "X-Request-Id"
# With the test stack's TRIVSEL_TEST_FAULTS=1 only (shared/settings.py): a request
# carrying this header fails with an unexpected error once its caller is verified.
FAULT_HEADER = "X-Trivsel-Fault"

log = logging.getLogger("trivsel.request")


class InjectedFault(RuntimeError):
    """The unexpected error a test asked for (test stack only)."""


def inject_fault(headers: Any) -> None:
    if FAULT_HEADER in headers:
        from shared.settings import get_settings

        if get_settings().test_faults:
            raise InjectedFault("fault injected by the test stack")


def _enabled() -> bool:
    from shared.settings import get_settings

    try:
        return get_settings().observability
    except Exception:  # settings incomplete: the function itself will say so
        return True


def observe_request(
    function: str, request: Any, call: Callable[[], Any], *, path_is_secret: bool = False
) -> Any:
    """Run one call of an entry point in its request's context: its log lines carry the
    request id, the response carries it in X-Request-Id, one summary line (with
    `httpRequest`) and the request metrics are written when it ends. A path that is
    itself a credential (a remote-task link) is not logged, and others only as their
    route's template: the ids in a path are whatever the caller typed."""
    if not _enabled():
        return call()
    context = logs.begin(function, request.headers)
    started = time.perf_counter()
    status = 500
    try:
        response = call()
        status = int(getattr(response, "status_code", 200))
        headers = getattr(response, "headers", None)
        if headers is not None:
            headers[REQUEST_ID_HEADER] = context.request_id
        return response
    except Exception:
        log.exception("unhandled error in %s", function)
        raise
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        metrics.record_request(function, status, elapsed_ms)
        known = None if path_is_secret else context.route
        path = f"/{function}{known}" if known is not None else f"/{function}/…"
        severity = logging.ERROR if status >= 500 else logging.INFO
        log.log(
            severity,
            "%s %s %d",
            request.method,
            path,
            status,
            extra={
                "httpRequest": {
                    "requestMethod": request.method,
                    "requestUrl": path,  # never the query string: a search names people
                    "status": status,
                    "latency": f"{elapsed_ms / 1000:.6f}s",
                    "userAgent": request.headers.get("User-Agent", ""),
                    "protocol": request.environ.get("SERVER_PROTOCOL", ""),
                }
            },
        )
        logs.end()
