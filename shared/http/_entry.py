"""Entry points: the functions Cloud Functions calls, marked so infra/ can find them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import flask
import functions_framework

from shared.observability import logs, observe_request

if TYPE_CHECKING:
    from shared.http._api import Api

# Every HTTP function answers GET /healthz (an Api as a documented route of its own).
HEALTH_PATH = "/healthz"

F = TypeVar("F", bound=Callable[..., Any])
SIGNATURE = "__trivsel_signature__"
API = "__trivsel_api__"


def http_function(api: Api | None = None, *, path_is_secret: bool = False) -> Callable[[F], F]:
    """An HTTP entry point; with `api`, the function serves that Api and names it.

    Every call runs in its request's context (structured logs, request id, metrics:
    shared/observability); `path_is_secret` keeps a path that is a credential out of
    the logs."""

    def mark(function: F) -> F:
        logs.install()
        name = function.__name__
        if api is not None:
            api.name = name

        @functools.wraps(function)
        def entry(request: flask.Request) -> Any:
            if api is None and request.method == "GET" and request.path == HEALTH_PATH:
                return flask.jsonify(status="ok", function=name)  # an Api has it as a route
            return observe_request(
                name, request, lambda: function(request), path_is_secret=path_is_secret
            )

        setattr(entry, SIGNATURE, "http")
        setattr(entry, API, api)
        functions_framework.http(entry)  # registers its signature type by name
        return cast(F, entry)

    return mark


def cloud_event_function(function: F) -> F:
    """A CloudEvent entry point (Pub/Sub push), run in its request's context too."""
    logs.install()
    name = function.__name__

    @functools.wraps(function)
    def entry(event: Any) -> Any:
        return observe_request(name, flask.request, lambda: function(event))

    setattr(entry, SIGNATURE, "cloudevent")
    functions_framework.cloud_event(entry)
    return cast(F, entry)


def entry_points(module: ModuleType) -> dict[str, tuple[str, Api | None]]:
    """The module's entry points: name -> (signature type, the Api it serves).

    Through `dir` and `getattr`, so a main.py that imports its entry points lazily
    (a module `__getattr__` and `__dir__`, functions/support/main.py) lists them all."""
    found: dict[str, tuple[str, Api | None]] = {}
    for name in dir(module):
        value = getattr(module, name)
        if callable(value) and hasattr(value, SIGNATURE):
            found[name] = (getattr(value, SIGNATURE), getattr(value, API, None))
    return found
