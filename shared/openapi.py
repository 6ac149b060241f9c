"""The OpenAPI 3.1 document of the HTTP functions, generated from their routes.

Request and response schemas come from the pydantic models; every route also
documents the problem+json refusals it can give. `python -m shared.openapi`
prints the document for all HTTP functions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, RootModel
from pydantic.json_schema import models_json_schema

from shared import errors

if TYPE_CHECKING:
    from shared.http import Api, Route

_REF = "#/components/schemas/{model}"


class OpenApiDocument(RootModel[dict[str, Any]]):
    pass


class Problem(BaseModel):
    """RFC 9457 problem details, with Trivsel's stable `code`."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


def _refusals(route: Route) -> list[type[errors.ApiError]]:
    found: list[type[errors.ApiError]] = list(route.refusals)
    if route.body is not None:
        found += [
            errors.MalformedRequest,
            errors.UnsupportedMediaType,
            errors.PayloadTooLarge,
            errors.ValidationFailed,
        ]
    if route.query is not None:
        found.append(errors.ValidationFailed)
    if route.roles is not None:
        found += [
            errors.Unauthenticated,
            errors.InvalidToken,
            errors.TokenRevoked,
            errors.AccountDisabled,
            errors.TenantSuspended,
            errors.TenantTerminated,
            errors.SecondFactorRequired,
            errors.Forbidden,
        ]
    return found


def _operation(route: Route, schemas: Mapping[Any, dict[str, Any]], api: Api) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{api.name}.{route.handler.__name__}",
        "summary": route.summary,
        "tags": [api.name],
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"\{([a-z_]+)\}", route.path)
    ]
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
    if params:
        operation["parameters"] = params
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
    else:
        responses["204"] = {"description": "Done"}
    for refusal in _refusals(route):
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


def openapi_document(apis: list[Api], *, prefixed: bool = False) -> OpenApiDocument:
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
            path = f"/{api.name}{route.path}" if prefixed else route.path
            paths.setdefault(path, {})[route.method.lower()] = _operation(route, schemas, api)
    return OpenApiDocument(
        {
            "openapi": "3.1.0",
            "info": {"title": "Trivsel" if prefixed else apis[0].title, "version": "1"},
            "paths": paths,
            "components": {
                "schemas": definitions.get("$defs", {}),
                "securitySchemes": {
                    "firebaseIdToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                },
            },
        }
    )


def main() -> None:
    from infra.deployment import http_apis

    print(json.dumps(openapi_document(http_apis(), prefixed=True).root, indent=2))


if __name__ == "__main__":
    main()
