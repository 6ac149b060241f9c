"""HTTP function `auth_api`: who am I, tenants, users and sign-in."""

from __future__ import annotations

import flask
import functions_framework
from pydantic import BaseModel

from shared.gcp import firestore_client
from shared.http import Api, Context
from shared.openapi import OpenApiDocument, openapi_document
from shared.principal import Role
from shared.tenancy import TENANTS

api = Api("auth_api", "Trivsel identity: tenants, users and sign-in")


class Me(BaseModel):
    uid: str
    email: str | None
    role: Role
    tenant_id: str | None
    tenant_name: str | None


@api.route("GET", "/me", summary="The signed-in user, their role and tenant", response=Me)
def me(ctx: Context, _: None) -> Me:
    caller = ctx.caller
    tenant_name = None
    if caller.tenant_id is not None:
        snapshot = firestore_client().collection(TENANTS).document(caller.tenant_id).get()
        tenant_name = (snapshot.to_dict() or {}).get("display_name")
    return Me(
        uid=caller.uid,
        email=caller.email,
        role=caller.role,
        tenant_id=caller.tenant_id,
        tenant_name=tenant_name,
    )


@api.route(
    "GET",
    "/openapi.json",
    summary="This function's OpenAPI document",
    roles=None,
    response=OpenApiDocument,
)
def openapi(ctx: Context, _: None) -> OpenApiDocument:
    return openapi_document([api])


@functions_framework.http
def auth_api(request: flask.Request) -> flask.Response:
    return api(request)
