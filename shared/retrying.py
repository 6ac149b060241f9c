"""How every outbound call is retried: the policies in one place (README, "Faults").

Two layers, never more:

- *In-process*, for a fault that passes in a moment: the call is retried with
  exponential backoff and jitter inside a bounded deadline, by the kept mechanism the
  client library already has. Google's clients take google-api-core's `Retry`: Firestore
  keeps Google's own per-method choice of what is safe to retry (UNAVAILABLE everywhere,
  DEADLINE_EXCEEDED and INTERNAL on reads, never ABORTED on a plain write), bounded here
  to `request_deadline_s`; Pub/Sub publish and Cloud Tasks create_task get `idempotent()`
  (safe: a message id makes a second publish harmless, a task name a second task).
  Boto3 uses botocore's own `standard` retry mode (`AWS_CONFIG`), which knows AWS's
  throttling and transient codes. firebase-admin retries 500/503 itself (urllib3) and is
  only bounded in time here; google-cloud-storage keeps its own `DEFAULT_RETRY`.
- *Across deliveries*, for what outlasts that: Pub/Sub redelivers a push answered non-2xx
  and Cloud Tasks retries a task, each with its own backoff and a bounded number of
  attempts (infra/deployment.toml); message delivery counts its attempts in the message
  record (shared/messaging/delivery.py) and ends `failed` with the reason at the bound.

On an HTTP route a transient fault that survives its retries is answered 503
`service_unavailable` with Retry-After (`transient()` says which), never 500; a
transaction that keeps losing to concurrent ones stays 409 `conflict`.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

from google.api_core import exceptions as google
from google.api_core.retry import Retry, if_exception_type

from shared.settings import get_settings

# Backoff between tries of one call: 0.1 s, 0.2 s, 0.4 s ... at most 2 s, each jittered
# (google-api-core draws every wait at random up to twice the step).
INITIAL_DELAY_S = 0.1
MAXIMUM_DELAY_S = 2.0
MULTIPLIER = 2.0
# A caller told 503 may try again after this long.
RETRY_AFTER_S = 5

# The Google errors that mean "not now" rather than "not so".
TRANSIENT_GOOGLE = (
    google.ServiceUnavailable,
    google.DeadlineExceeded,
    google.InternalServerError,
    google.BadGateway,
    google.GatewayTimeout,
    google.TooManyRequests,
    google.ResourceExhausted,
)


def request_deadline_s() -> float:
    """How long one call's retries may take in all (TRIVSEL_RETRY_DEADLINE_S)."""
    return get_settings().retry_deadline_s


def bounded(retry: Retry) -> Retry:
    """A library's own retry (its predicate) with our backoff and deadline."""
    return retry.with_delay(
        initial=INITIAL_DELAY_S, maximum=MAXIMUM_DELAY_S, multiplier=MULTIPLIER
    ).with_timeout(request_deadline_s())


def idempotent() -> Retry:
    """For a call that may be repeated safely: every transient error, our bounds."""
    return bounded(Retry(predicate=if_exception_type(*TRANSIENT_GOOGLE)))


def bound_gapic_defaults(transport: Any) -> None:
    """Give every method of a GAPIC transport our bounds, keeping its own predicate.

    The generated clients keep each method's default retry in `_wrapped_methods`
    (Firestore's run up to 300 s, longer than any request may wait); the
    high-level Firestore API passes no retry of its own, so these defaults are what
    every document read, query, commit and transaction uses.
    """
    for wrapped in transport._wrapped_methods.values():
        if isinstance(getattr(wrapped, "_retry", None), Retry):
            wrapped._retry = bounded(wrapped._retry)


def aws_config() -> Any:
    """Boto3's client configuration: botocore's standard retry mode (exponential
    backoff with full jitter over Throttling, TooManyRequestsException, 429 and 5xx),
    three tries in all, each bounded well inside a message's lease."""
    from botocore.config import Config

    return Config(
        connect_timeout=5, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 3}
    )


def auth_http_timeout_s() -> float:
    """firebase-admin's per-request timeout (its own retries are urllib3's)."""
    return request_deadline_s()


def transient(exc: BaseException) -> bool:
    """Whether an error that reached a handler means "the service is unavailable now"."""
    if isinstance(exc, (*TRANSIENT_GOOGLE, google.RetryError, concurrent.futures.TimeoutError)):
        return True
    from firebase_admin import exceptions as firebase

    return isinstance(
        exc, (firebase.UnavailableError, firebase.DeadlineExceededError, firebase.InternalError)
    )
