"""HTTP function `clients_api`: clients, the catalogue, courses, calendars and logs.

The clients' own routes and the logs are here; the route table's other parts live beside
it by responsibility, each registered where its section stood (so the routes and the
OpenAPI document keep their order): rights_routes.py (data-subject rights, restriction,
recipients), course_routes.py (courses, calendar), catalogue_routes.py."""

from __future__ import annotations

from typing import Any

import flask

from functions.clients import (
    catalogue_routes,
    clients,
    course_routes,
    gdpr,
    logs,
    restore_routes,
    rights_routes,
)
from functions.clients.models import (
    Client,
    ClientCreate,
    ClientPage,
    ClientQuery,
    ClientUpdate,
    ErasureReceipt,
    Export,
    FileUpload,
    FileUploadRequest,
    LogEntry,
    LogNote,
    LogPage,
    LogQuery,
)
from functions.clients.route_paths import (
    ADMIN,
    CHANGES,
    CLIENT,
    MEMBERS,
    SEALED,
)
from functions.clients.sync import routes as sync_routes
from functions.clients.wellbeing import routes as wellbeing_routes
from shared import errors
from shared.clients import CLIENTS, Identity, load_document
from shared.http import Api, JsonStream, http_function
from shared.principal import Principal
from shared.tenancy import TenantData

api = Api("Trivsel clients: clients, catalogue, courses and logs")


# -- clients (C-1 ... C-3) ----------------------------------------------------------------------


@api.route("POST", "/clients", summary="Create a client", roles=MEMBERS, status=201)
def create_client(caller: Principal, tenant: TenantData, body: ClientCreate) -> Client:
    return clients.create(caller, tenant, body)


@api.route(
    "GET",
    "/clients",
    summary="Search clients by name or pseudonym, a page at a time",
    roles=MEMBERS,
)
def list_clients(tenant: TenantData, query: ClientQuery) -> ClientPage:
    return clients.search(tenant, query)


def _the_client(tenant: TenantData, params: dict[str, str]) -> list[Any]:
    """The client's document, read with the caller's authority (one round trip)."""
    return [tenant.document(CLIENTS, params["client_id"])]


@api.route(
    "GET",
    CLIENT,
    summary="The client overview with courses (read is audited)",
    roles=MEMBERS,
    prefetch=_the_client,
)
def get_client(caller: Principal, tenant: TenantData, client_id: str) -> Client:
    return clients.read(caller, tenant, client_id)


@api.route(
    "PATCH",
    CLIENT,
    summary="Change master data, contact persons or consent",
    roles=MEMBERS,
    refusals=[clients.Pseudonymised, *SEALED, *CHANGES],
)
def update_client(
    caller: Principal, tenant: TenantData, client_id: str, body: ClientUpdate
) -> Client:
    return clients.update(caller, tenant, client_id, body)


@api.route(
    "DELETE",
    CLIENT,
    summary="Erase the client everywhere (right to be forgotten); returns a receipt",
    roles=MEMBERS,
    refusals=CHANGES,
)
def erase_client(caller: Principal, tenant: TenantData, client_id: str) -> ErasureReceipt:
    return gdpr.erase(caller, tenant, client_id)


@api.route(
    "POST",
    CLIENT + "/pseudonymise",
    summary="Replace identifying data by a pseudonym",
    roles=MEMBERS,
    refusals=[clients.Pseudonymised, *SEALED, *CHANGES],
)
def pseudonymise(caller: Principal, tenant: TenantData, client_id: str) -> Client:
    return clients.pseudonymise(caller, tenant, client_id)


@api.route(
    "GET",
    CLIENT + "/identity",
    summary="A pseudonymised client's originals (audited)",
    roles=ADMIN,
    refusals=[errors.InvalidTransition, *SEALED],
)
def identity(caller: Principal, tenant: TenantData, client_id: str) -> Identity:
    return clients.identity(caller, tenant, client_id)


@api.route(
    "POST",
    CLIENT + "/reverse-pseudonym",
    summary="Put the originals back",
    roles=ADMIN,
    refusals=[errors.InvalidTransition, *SEALED, *CHANGES],
)
def reverse_pseudonym(caller: Principal, tenant: TenantData, client_id: str) -> Client:
    return clients.reverse(caller, tenant, client_id)


@api.route(
    "GET",
    CLIENT + "/export",
    summary="Everything stored about the client, as JSON",
    roles=ADMIN,
    refusals=SEALED,
)
def export_client(caller: Principal, tenant: TenantData, client_id: str) -> JsonStream[Export]:
    return JsonStream(gdpr.export(caller, tenant, client_id))


@api.route(
    "POST",
    CLIENT + "/files",
    summary="A signed URL to store a file about the client",
    roles=MEMBERS,
    status=201,
    refusals=CHANGES,
)
def add_file(
    caller: Principal, tenant: TenantData, client_id: str, body: FileUploadRequest
) -> FileUpload:
    return gdpr.file_upload(caller, tenant, client_id, body)


rights_routes.register(api)
restore_routes.register(api)


# -- logs (C-6) ------------------------------------------------------------------------------------


@api.route("GET", CLIENT + "/log", summary="Everything done about the client", roles=MEMBERS)
def client_log(tenant: TenantData, client_id: str, query: LogQuery) -> LogPage:
    load_document(tenant, client_id)
    return logs.log_page(tenant, "client_id", client_id, query)


@api.route(
    "POST",
    CLIENT + "/log",
    summary="Write a note in the client log",
    roles=MEMBERS,
    status=201,
    refusals=CHANGES,
)
def add_note(caller: Principal, tenant: TenantData, client_id: str, body: LogNote) -> LogEntry:
    return logs.add_note(caller, tenant, client_id, body)


@api.route("GET", "/me/log", summary="Everything the caller did", roles=MEMBERS)
def my_log(caller: Principal, tenant: TenantData, query: LogQuery) -> LogPage:
    return logs.log_page(tenant, "actor", caller.uid, query)


course_routes.register(api)
catalogue_routes.register(api)
sync_routes.register(api)
wellbeing_routes.register(api)


@http_function(api)
def clients_api(request: flask.Request) -> flask.Response:
    return api(request)
