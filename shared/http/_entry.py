"""Entry points: the functions Cloud Functions calls, marked so infra/ can find them."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

import functions_framework

if TYPE_CHECKING:
    from shared.http._api import Api

F = TypeVar("F", bound=Callable[..., Any])
SIGNATURE = "__trivsel_signature__"
API = "__trivsel_api__"


def http_function(api: Api | None = None) -> Callable[[F], F]:
    """An HTTP entry point; with `api`, the function serves that Api and names it."""

    def mark(function: F) -> F:
        if api is not None:
            api.name = function.__name__
        setattr(function, SIGNATURE, "http")
        setattr(function, API, api)
        functions_framework.http(function)  # registers its signature type; same function
        return function

    return mark


def cloud_event_function(function: F) -> F:
    """A CloudEvent entry point (Pub/Sub push)."""
    setattr(function, SIGNATURE, "cloudevent")
    functions_framework.cloud_event(function)
    return function


def entry_points(module: ModuleType) -> dict[str, tuple[str, Api | None]]:
    """The module's entry points: name -> (signature type, the Api it serves)."""
    return {
        name: (getattr(value, SIGNATURE), getattr(value, API, None))
        for name, value in vars(module).items()
        if callable(value) and hasattr(value, SIGNATURE)
    }
