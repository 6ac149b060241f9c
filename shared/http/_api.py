"""`Api`: a table of typed routes, matched with werkzeug's routing, answered as JSON.

Route paths use werkzeug's syntax (`/clients/<client_id>`); every path parameter is an
id of the tenant access layer's alphabet, so anything else simply does not match.
Each route declares the refusals it can give; against the emulators (tests, `make
up`) a refusal a route did not declare is itself an error, so the suite catches
drift between the code and its OpenAPI document.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import flask
from google.api_core.exceptions import Aborted
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.routing import ValidationError as NoMatch

from shared import errors, ids, retrying
from shared.faults import crash_point
from shared.http import _idempotency as idempotency
from shared.http._entry import HEALTH_PATH
from shared.http._idempotency import KeyReused
from shared.models import Model
from shared.observability import (
    bind_caller,
    current_request_id,
    inject_fault,
    matched_route,
    metrics,
)
from shared.principal import Principal, Role, bearer_token, verify_id_token
from shared.settings import Settings, get_settings
from shared.tenancy import SEGMENT_PATTERN, InvalidPath, TenantData, is_reserved

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
# Deeper JSON than any of our models is a mistake or an attack; refused before parsing.
MAX_JSON_DEPTH = 32
ALL_ROLES = frozenset(Role)
M = TypeVar("M", bound=BaseModel)
# What a handler may ask for besides its path parameters, by parameter name.
SPECIAL = ("caller", "tenant", "body", "query", "request")

# The refusals every route of a kind can give, whatever its handler does.
AUTH_REFUSALS: tuple[type[errors.ApiError], ...] = (
    errors.Unauthenticated,
    errors.InvalidToken,
    errors.TokenRevoked,
    errors.AccountDisabled,
    errors.TenantSuspended,
    errors.TenantTerminated,
    errors.TenantRestoring,
    errors.DpaMissing,
    errors.StaffReviewOverdue,
    errors.CertificationRequired,
    errors.SecondFactorRequired,
    errors.Forbidden,
)
BODY_REFUSALS: tuple[type[errors.ApiError], ...] = (
    errors.MalformedRequest,
    errors.UnsupportedMediaType,
    errors.PayloadTooLarge,
    errors.ValidationFailed,
)


class _Id(BaseConverter):
    """A path parameter: an id the tenant access layer accepts (Firestore's reserved
    `__x__` ids included in what it refuses)."""

    regex = SEGMENT_PATTERN.pattern.strip("^$")

    def to_python(self, value: str) -> str:
        if is_reserved(value):
            raise NoMatch()
        return value


class JsonStream(Generic[M]):
    """A response too large to hold in memory (an export): JSON text in chunks, documented
    as the model `M` it spells. A handler returns `JsonStream[Export](chunks)`."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks = chunks


class CsvText:
    """A table as CSV (`text/csv`), for what a person opens in a spreadsheet (a report).
    A handler returns `CsvText(text)`; the document says the route answers text/csv."""

    media_type = "text/csv; charset=utf-8"

    def __init__(self, text: str) -> None:
        self.text = text


class Health(Model):
    """The answer of every function's GET /healthz: the process is up and its code loaded."""

    status: typing.Literal["ok"] = "ok"
    function: str


class UndeclaredRefusal(errors.ApiError):
    status, code, title = 500, "undeclared_refusal", "A route gave a refusal it does not declare"


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # werkzeug syntax
    handler: Callable[..., Any]
    summary: str
    roles: frozenset[Role] | None  # None: public, no token needed
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    parameters: tuple[str, ...]  # path parameters, in order
    wants: frozenset[str]  # which of SPECIAL the handler takes
    declared: tuple[type[errors.ApiError], ...]
    # Documents read in the same round trip as the caller's authority (GET routes only).
    prefetch: Callable[[TenantData, dict[str, str]], list[Any]] | None = None
    # Also for a suspended or terminated tenant (its export, T-4); never while restoring.
    inactive_tenants: bool = False
    # Also for a user who still owes the licence's certification (sign-in, own profile,
    # the certification course itself); every other route refuses them.
    uncertified: bool = False
    csv: bool = False  # answers CsvText, not JSON

    @property
    def creates(self) -> bool:
        """A creating POST of a verified caller: it takes an Idempotency-Key. A route
        without a caller ignores the header: keyed on nobody, a repeat of key and body
        would replay its answer (a headset's token, say) to whoever sent it."""
        return self.method == "POST" and self.status == 201 and self.roles is not None

    @property
    def openapi_path(self) -> str:
        return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", self.path)

    @property
    def refusals(self) -> tuple[type[errors.ApiError], ...]:
        """Everything this route can refuse with: declared, and what its kind implies."""
        found = list(self.declared)
        if self.body is not None:
            found += BODY_REFUSALS
        if self.query is not None:
            found.append(errors.ValidationFailed)
        if self.parameters:
            found.append(errors.NotFound)
        if self.method != "GET":
            found.append(errors.Conflict)  # a transaction lost to a concurrent one
        found.append(errors.ServiceUnavailable)  # a service's fault outlasted its retries
        if self.creates:
            found.append(KeyReused)
        if self.roles is not None:
            found += AUTH_REFUSALS
        return tuple(dict.fromkeys(found))


def _model(hint: Any, what: str, handler: Callable[..., Any]) -> type[BaseModel]:
    if not (inspect.isclass(hint) and issubclass(hint, BaseModel)):
        raise TypeError(f"{handler.__name__}: `{what}` must be annotated with a pydantic model")
    return hint


class Api:
    """One HTTP function: its routes and the WSGI-level entry point."""

    def __init__(self, title: str, *, pending_tenants: bool = False) -> None:
        """`pending_tenants`: users of a tenant without a DPA may call this API (only an
        API that holds no client's personal data: identity)."""
        self.title = title
        self.pending_tenants = pending_tenants
        self.name = ""  # set by the entry point that serves it (shared.http.http_function)
        self.routes: list[Route] = []
        self._map = Map(converters={"default": _Id}, strict_slashes=False)

        # Every function's health route, for its uptime check (infra/deployment.toml):
        # no token, no database, so it costs nothing and says only that the code runs.
        @self.route("GET", HEALTH_PATH, summary="Health check (uptime checks)", roles=None)
        def health() -> Health:
            return Health(function=self.name)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        roles: Iterable[Role] | None = ALL_ROLES,
        status: int = 200,
        refusals: Iterable[type[errors.ApiError]] = (),
        prefetch: Callable[[TenantData, dict[str, str]], list[Any]] | None = None,
        inactive_tenants: bool = False,
        uncertified: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a handler; body, query and response models come from its annotations.

        `prefetch` names documents (from the path parameters) that the handler reads; they
        are read with the caller's authority, in one round trip. Only for GET: a route that
        writes could otherwise read back what it read before its own write.
        """
        if prefetch is not None and method.upper() != "GET":
            raise TypeError(f"{path}: only a GET route prefetches")

        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            hints = typing.get_type_hints(handler)
            names = list(inspect.signature(handler).parameters)
            rule = Rule(path, endpoint=len(self.routes), methods=[method.upper()])
            self._map.add(rule)
            parameters = tuple(rule.arguments)
            unknown = set(names) - set(SPECIAL) - set(parameters)
            if unknown or set(parameters) - set(names):
                raise TypeError(f"{handler.__name__}: parameters do not match {path}")
            if roles is None and {"caller", "tenant"} & set(names):
                raise TypeError(f"{handler.__name__}: a public route has no caller")
            returned = hints.get("return")
            if typing.get_origin(returned) is JsonStream:  # documented as what it streams
                returned = typing.get_args(returned)[0]
            csv = returned is CsvText
            self.routes.append(
                Route(
                    method=method.upper(),
                    path=path,
                    handler=handler,
                    summary=summary,
                    roles=frozenset(roles) if roles is not None else None,
                    body=_model(hints["body"], "body", handler) if "body" in names else None,
                    query=_model(hints["query"], "query", handler) if "query" in names else None,
                    response=None if returned in (None, type(None), CsvText) else returned,
                    status=status,
                    parameters=tuple(n for n in names if n in parameters),
                    wants=frozenset(n for n in names if n in SPECIAL),
                    declared=tuple(refusals),
                    prefetch=prefetch,
                    inactive_tenants=inactive_tenants,
                    uncertified=uncertified,
                    csv=csv,
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
            response = self._refuse(refusal, request)
        except InvalidPath:  # an id no tenant could hold: for the caller, simply not there
            response = self._refuse(errors.NotFound(), request)
        except Exception as exc:
            if retrying.transient(exc):  # it outlasted its retries (shared/retrying.py)
                log.warning("%s %s: %r after retries", request.method, request.path, exc)
                response = self._refuse(errors.ServiceUnavailable(), request)
            else:
                log.exception("unhandled error in %s %s", request.method, request.path)
                response = self._refuse(errors.InternalError(), request)
        if settings is not None:
            _add_cors(response, origin, settings)
        return response

    def _refuse(self, refusal: errors.ApiError, request: flask.Request) -> flask.Response:
        metrics.record_refusal(self.name, refusal.code)
        return problem_response(refusal, request.path)

    def _match(self, request: flask.Request) -> tuple[Route | None, dict[str, str]]:
        try:
            index, params = self._map.bind("", "").match(request.path or "/", request.method)
        except MethodNotAllowed as wrong:
            allowed = ", ".join(sorted(set(wrong.valid_methods or ()) - {"HEAD"}))
            raise errors.MethodNotAllowed(f"Use {allowed} on {request.path}") from None
        except NotFound:
            if request.path.rstrip("/") == "/openapi.json" and request.method == "GET":
                return None, {}
            raise errors.NotFound(f"No route {request.path}") from None
        route = self.routes[int(index)]
        matched_route(route.path)
        return route, dict(params)

    def _dispatch(self, request: flask.Request, settings: Settings) -> flask.Response:
        route, params = self._match(request)
        if route is None:  # the document of this function, at /openapi.json
            from shared.http._openapi import openapi_document

            return flask.jsonify(openapi_document([self]))
        key = request.headers.get(idempotency.HEADER) if route.creates else None
        if key is None:
            return self._respond(route, request, params, settings)
        arguments = self._arguments(route, request, params)  # refusals before the key
        caller = arguments.get("caller")
        if not isinstance(caller, Principal):  # no verified caller: nobody to key it on
            return self._respond(route, request, params, settings, arguments)
        body = request.get_data(cache=True)
        claim, replay = idempotency.begin(caller.uid, f"{route.method} {request.path}", key, body)
        if replay is not None:
            return flask.Response(replay.body, status=replay.status, mimetype="application/json")
        crash_point("http.after_claim")
        try:
            # Records the handler creates get ids derived from the key: a re-run after a
            # crash finds what the first run wrote instead of writing it again.
            with ids.seeded(claim.id):
                response = self._respond(route, request, params, settings, arguments)
        except BaseException:
            idempotency.abandon(claim)
            raise
        crash_point("http.before_finish")
        try:
            idempotency.finish(claim, response.status_code, response.get_data(as_text=True))
        except Exception:  # the work is done: the caller gets its answer all the same
            log.exception("could not keep the response of %s for its Idempotency-Key", route.path)
        crash_point("http.after_finish")
        return response

    def _respond(
        self,
        route: Route,
        request: flask.Request,
        params: dict[str, str],
        settings: Settings,
        arguments: dict[str, Any] | None = None,
    ) -> flask.Response:
        try:
            if arguments is None:
                arguments = self._arguments(route, request, params)
            inject_fault(request.headers)  # the test stack only
            result = route.handler(**arguments)
        except errors.ApiError as refusal:
            if settings.uses_emulators and not isinstance(refusal, route.refusals):
                log.error("%s %s refused with undeclared %s", route.method, route.path, refusal)
                raise UndeclaredRefusal(
                    f"{route.method} {route.path} refused with '{refusal.code}', which it does "
                    "not declare"
                ) from refusal
            raise
        except InvalidPath:  # an id no tenant could hold: for the caller, simply not there
            raise errors.NotFound() from None
        except Aborted:  # a transaction lost to a concurrent one after its retries
            raise errors.Conflict("Someone changed this at the same moment; try again") from None
        except ValueError as exc:
            # google-cloud-firestore's way of saying its transaction retries ran out.
            if not str(exc).startswith("Failed to commit transaction"):
                raise
            raise errors.Conflict("Someone changed this at the same moment; try again") from None
        if result is None:
            return flask.Response(status=204)
        if isinstance(result, CsvText):
            return flask.Response(result.text, status=route.status, content_type=CsvText.media_type)
        if isinstance(result, JsonStream):
            body = (chunk.encode() for chunk in result.chunks)
            return flask.Response(body, status=route.status, mimetype="application/json")
        return flask.Response(
            result.model_dump_json(by_alias=True), status=route.status, mimetype="application/json"
        )

    def _arguments(
        self, route: Route, request: flask.Request, params: dict[str, str]
    ) -> dict[str, Any]:
        arguments: dict[str, Any] = dict(params)
        caller: Principal | None = None
        if route.roles is not None:
            reads = route.prefetch
            caller = verify_id_token(
                bearer_token(request.headers.get("Authorization")),
                (lambda data: reads(data, params)) if reads is not None else None,
                allow_pending=self.pending_tenants,
                allow_inactive=route.inactive_tenants,
                allow_uncertified=route.uncertified,
            )
            bind_caller(caller.tenant_id, caller.uid)  # on this request's log lines
            if caller.role not in route.roles:
                raise errors.Forbidden(f"The role '{caller.role}' may not do this")
        if "caller" in route.wants:
            arguments["caller"] = caller
        if "tenant" in route.wants:
            assert caller is not None
            arguments["tenant"] = caller.tenant_data()
        if route.query is not None:
            arguments["query"] = _parse(route.query, request.args.to_dict())
        if route.body is not None:
            arguments["body"] = _parse(route.body, _json_body(request))
        if "request" in route.wants:
            arguments["request"] = request
        return arguments

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
    raw = request.get_data(cache=True)  # kept: an Idempotency-Key compares the body
    if len(raw) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"At most {MAX_BODY_BYTES} bytes")
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise errors.ValidationFailed(
            f"The body is nested deeper than {MAX_JSON_DEPTH} levels",
            errors=[{"field": "(body)", "message": "nested too deeply", "type": "depth"}],
        )
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise errors.MalformedRequest(str(exc)) from None


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in JSON text (strings skipped), in one pass."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.ValidationFailed(
            f"{exc.error_count()} field(s) are not valid",
            errors=errors.validation_errors(exc.errors()),
        ) from None


def problem_response(refusal: errors.ApiError, instance: str | None = None) -> flask.Response:
    """The refusal as problem+json, with the request id its log lines carry (support's
    handle on it)."""
    body = refusal.to_problem(instance)
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    response = flask.Response(
        json.dumps(body),
        status=refusal.status,
        mimetype="application/problem+json",
    )
    if refusal.retry_after is not None:
        response.headers["Retry-After"] = str(refusal.retry_after)
    return response


def caller_address(forwarded_for: str | None, remote_addr: str | None) -> str:
    """The caller's address as the platform saw it: Google's front end appends it last to
    X-Forwarded-For; every earlier entry is the caller's own word and is ignored."""
    appended = (forwarded_for or "").split(",")[-1].strip()
    return appended or (remote_addr or "").strip()


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
