"""The HTTP layer every HTTP function shares: routing, auth, parsing, errors, CORS.

An HTTP function is an `Api`; its routes are thin handlers that receive the
parsed body and a `Context` and return a pydantic model. This module turns that
into responses: JSON bodies, RFC 9457 problems for refusals, CORS for the
browser frontend. Route tables also feed the OpenAPI document (shared.openapi).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import flask
from google.api_core.exceptions import Aborted
from pydantic import BaseModel, ValidationError

from shared import errors
from shared.principal import Principal, Role, bearer_token, verify_id_token
from shared.settings import Settings, get_settings
from shared.tenancy import InvalidPath

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
_PARAM = re.compile(r"\{([a-z_]+)\}")
# Path parameters are ids: the same alphabet the tenant access layer accepts.
_PARAM_VALUE = r"(?P<{name}>[A-Za-z0-9_-]{{1,128}})"
ALL_ROLES = frozenset(Role)
M = TypeVar("M", bound=BaseModel)


@dataclass
class Context:
    """What a handler knows about the request beyond its body."""

    request: flask.Request
    settings: Settings
    principal: Principal | None
    path_params: dict[str, str] = field(default_factory=dict)
    query: BaseModel | None = None

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise errors.Unauthenticated()
        return self.principal


Handler = Callable[[Context, Any], BaseModel | None]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    roles: frozenset[Role] | None  # None: public, no token needed
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    pattern: re.Pattern[str]
    refusals: tuple[type[errors.ApiError], ...]


class Api:
    """One HTTP function: a named table of routes and the WSGI-level entry point."""

    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.title = title
        self.routes: list[Route] = []
        self._serve_openapi()

    def _serve_openapi(self) -> None:
        """Every HTTP function serves its own OpenAPI document at /openapi.json."""
        from shared.openapi import OpenApiDocument, openapi_document

        @self.route(
            "GET",
            "/openapi.json",
            summary="This function's OpenAPI document",
            roles=None,
            response=OpenApiDocument,
        )
        def openapi(ctx: Context, _: None) -> OpenApiDocument:
            return openapi_document([self])

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        roles: Iterable[Role] | None = ALL_ROLES,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        refusals: Iterable[type[errors.ApiError]] = (),
    ) -> Callable[[Handler], Handler]:
        regex = "^" + _PARAM.sub(lambda m: _PARAM_VALUE.format(name=m.group(1)), path) + "/?$"

        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method=method.upper(),
                    path=path,
                    handler=handler,
                    summary=summary,
                    roles=frozenset(roles) if roles is not None else None,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    pattern=re.compile(regex),
                    refusals=tuple(refusals),
                )
            )
            return handler

        return register

    def __call__(self, request: flask.Request) -> flask.Response:
        origin = request.headers.get("Origin")
        settings: Settings | None = None
        try:
            settings = get_settings()
            if request.method == "OPTIONS":
                response = self._preflight(request, settings)
            else:
                response = self._dispatch(request, settings)
        except errors.ApiError as refusal:
            response = problem_response(refusal, request.path)
        except InvalidPath:  # an id no tenant could hold: for the caller, simply not there
            response = problem_response(errors.NotFound(), request.path)
        except Aborted:  # a transaction lost to a concurrent one after its retries
            lost = errors.Conflict("Someone changed this at the same moment; try again")
            response = problem_response(lost, request.path)
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.path)
            response = problem_response(errors.InternalError(), request.path)
        if settings is not None:
            _add_cors(response, origin, settings)
        return response

    def _match(self, request: flask.Request) -> tuple[Route, dict[str, str]]:
        path = request.path or "/"
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == request.method:
                return route, found.groupdict()
            allowed.append(route.method)
        if allowed:
            raise errors.MethodNotAllowed(f"Use {', '.join(sorted(allowed))} on {path}")
        raise errors.NotFound(f"No route {path}")

    def _dispatch(self, request: flask.Request, settings: Settings) -> flask.Response:
        route, params = self._match(request)
        principal = None
        if route.roles is not None:
            principal = verify_id_token(bearer_token(request.headers.get("Authorization")))
            if principal.role not in route.roles:
                raise errors.Forbidden(f"The role '{principal.role}' may not do this")
        query = _parse(route.query, request.args.to_dict()) if route.query else None
        body = _parse(route.body, _json_body(request)) if route.body else None
        context = Context(
            request=request,
            settings=settings,
            principal=principal,
            path_params=params,
            query=query,
        )
        result = route.handler(context, body)
        if result is None:
            return flask.Response(status=204)
        return flask.Response(
            result.model_dump_json(by_alias=True),
            status=route.status,
            mimetype="application/json",
        )

    def _preflight(self, request: flask.Request, settings: Settings) -> flask.Response:
        response = flask.Response(status=204)
        if origin_allowed(request.headers.get("Origin"), settings):
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            response.headers["Access-Control-Max-Age"] = "3600"
        return response


def _json_body(request: flask.Request) -> Any:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"At most {MAX_BODY_BYTES} bytes")
    if not request.is_json:
        raise errors.UnsupportedMediaType()
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"At most {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise errors.MalformedRequest(str(exc)) from None


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.ValidationFailed(
            f"{exc.error_count()} field(s) are not valid",
            errors=errors.validation_errors(exc.errors()),
        ) from None


def problem_response(refusal: errors.ApiError, instance: str | None = None) -> flask.Response:
    return flask.Response(
        json.dumps(refusal.to_problem(instance)),
        status=refusal.status,
        mimetype="application/problem+json",
    )


def origin_allowed(origin: str | None, settings: Settings) -> bool:
    """Exact origins, or "https://*.trivsel.dk" for every tenant's subdomain."""
    if not origin:
        return False
    for allowed in settings.cors_origins:
        if allowed in (origin, "*"):
            return True
        scheme, _, host_pattern = allowed.partition("://*.")
        if (
            host_pattern
            and origin.startswith(f"{scheme}://")
            and origin.endswith("." + host_pattern)
        ):
            return True
    return False


def _add_cors(response: flask.Response, origin: str | None, settings: Settings) -> None:
    if origin and origin_allowed(origin, settings):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
