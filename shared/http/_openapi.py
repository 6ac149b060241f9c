"""The OpenAPI 3.1 document of an Api, generated from its routes.

Request and response schemas come from the handlers' pydantic models; every route
documents every problem+json refusal it can give (Route.refusals, the same list the
Api enforces against the emulators). infra/openapi.py joins every function's
document into one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.models import Model

if TYPE_CHECKING:
    from shared.http._api import Api, Route

_REF = "#/components/schemas/{model}"
SECURITY = {"firebaseIdToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}


class Problem(Model):
    """RFC 9457 problem details, with Trivsel's stable `code`."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None
    # The request's id (its trace id where the caller sent one): every log line of the
    # request carries it, so support can find them.
    request_id: str | None = None


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_-]{1,128}$"},
        }
        for name in route.parameters
    ]
    if route.creates:
        params.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retry with the same key and body: the first response, nothing "
                "created twice; another body: 422 idempotency_key_reused. Kept 24 hours.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    if route.query is not None:
        properties = route.query.model_json_schema(ref_template=_REF)["properties"]
        for name, field in route.query.model_fields.items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": field.is_required(),
                    "schema": properties[name],
                }
            )
    return params


def _operation(route: Route, schemas: Mapping[Any, dict[str, Any]], prefix: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": prefix + route.handler.__name__,
        "summary": route.summary,
    }
    if parameters := _parameters(route):
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas[(route.body, "validation")]}},
        }
    responses: dict[str, Any] = {}
    if route.response is not None:
        responses[str(route.status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": schemas[(route.response, "serialization")]}},
        }
    elif route.csv:
        responses[str(route.status)] = {
            "description": "OK",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    else:
        responses["204"] = {"description": "Done"}
    for refusal in route.refusals:
        entry = responses.setdefault(
            str(refusal.status),
            {
                "description": "",
                "content": {
                    "application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}
                },
            },
        )
        codes = [c for c in entry["description"].split(", ") if c]
        if refusal.code not in codes:
            entry["description"] = ", ".join([*codes, refusal.code])
    operation["responses"] = responses
    if route.roles is not None:
        operation["security"] = [{"firebaseIdToken": []}]
        operation["x-roles"] = sorted(route.roles)
    return operation


def openapi_document(
    apis: list[Api], *, title: str | None = None, prefixed: bool = False
) -> dict[str, Any]:
    """One document for `apis`; `prefixed` puts each function's name before its paths."""
    models: set[tuple[type[BaseModel], Literal["validation", "serialization"]]] = {
        (Problem, "serialization")
    }
    for api in apis:
        for route in api.routes:
            if route.body is not None:
                models.add((route.body, "validation"))
            if route.response is not None:
                models.add((route.response, "serialization"))
    ordered = sorted(models, key=lambda item: (item[0].__name__, item[1]))
    schemas, definitions = models_json_schema(ordered, ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for api in apis:
        for route in api.routes:
            path = f"/{api.name}{route.openapi_path}" if prefixed else route.openapi_path
            operation = _operation(route, schemas, f"{api.name}." if prefixed else "")
            if prefixed:
                operation["tags"] = [api.name]
            paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title or apis[0].title, "version": "1"},
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {}), "securitySchemes": SECURITY},
    }
