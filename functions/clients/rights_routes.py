"""clients_api's routes for data-subject rights (GDPR Art. 12-22): the request register,
restriction of a client and the recipients of a client's data."""

from __future__ import annotations

from functions.clients import clients, recipients, retention, rights
from functions.clients.models import (
    Client,
    ClientRecipients,
    RestrictionRequest,
    SubjectRequestAnswer,
    SubjectRequestCreate,
    SubjectRequestExtension,
    SubjectRequestList,
)
from functions.clients.route_paths import (
    ADMIN,
    CLIENT,
    MEMBERS,
    SEALED,
)
from shared import errors
from shared.data_subjects import DataSubjectRequest
from shared.http import Api
from shared.principal import Principal
from shared.tenancy import TenantData
from shared.tenants import ClientRetention

REQUEST = "/data-subject-requests/<request_id>"


def register(api: Api) -> None:
    @api.route(
        "GET",
        "/retention",
        summary="How long a client is kept after their last activity (null: kept)",
        roles=MEMBERS,
    )
    def get_retention(tenant: TenantData) -> ClientRetention:
        return retention.setting(tenant)

    @api.route(
        "PUT",
        "/retention",
        summary="Set the retention period in months (2-120), or null to keep clients",
        roles=ADMIN,
    )
    def put_retention(
        caller: Principal, tenant: TenantData, body: ClientRetention
    ) -> ClientRetention:
        return retention.change(caller, tenant, body)

    @api.route(
        "POST",
        "/data-subject-requests",
        summary="Register a data-subject request; its deadline is one month from receipt",
        roles=ADMIN,
        status=201,
        refusals=[errors.NotFound],
    )
    def register_request(
        caller: Principal, tenant: TenantData, body: SubjectRequestCreate
    ) -> DataSubjectRequest:
        return rights.register(caller, tenant, body)

    @api.route(
        "GET",
        "/data-subject-requests",
        summary="The register: every request with its deadline and reminders",
        roles=ADMIN,
    )
    def list_requests(tenant: TenantData) -> SubjectRequestList:
        return SubjectRequestList(requests=rights.listing(tenant))

    @api.route("GET", REQUEST, summary="One data-subject request", roles=ADMIN)
    def get_request(tenant: TenantData, request_id: str) -> DataSubjectRequest:
        return rights.get(tenant, request_id)

    @api.route(
        "POST",
        REQUEST + "/extend",
        summary="Extend the deadline by two further months, with the reason",
        roles=ADMIN,
        refusals=[errors.InvalidTransition],
    )
    def extend_request(
        caller: Principal, tenant: TenantData, request_id: str, body: SubjectRequestExtension
    ) -> DataSubjectRequest:
        return rights.extend(caller, tenant, request_id, body)

    @api.route(
        "POST",
        REQUEST + "/answer",
        summary="Record the answer: completed or refused, and the outcome",
        roles=ADMIN,
        refusals=[errors.InvalidTransition],
    )
    def answer_request(
        caller: Principal, tenant: TenantData, request_id: str, body: SubjectRequestAnswer
    ) -> DataSubjectRequest:
        return rights.answer(caller, tenant, request_id, body)

    @api.route(
        "POST",
        CLIENT + "/restriction",
        summary="Restrict processing (Art. 18): kept and readable, nothing else until lifted",
        roles=ADMIN,
    )
    def restrict_client(
        caller: Principal, tenant: TenantData, client_id: str, body: RestrictionRequest
    ) -> Client:
        rights.restrict(caller, tenant, client_id, body)
        return clients.read(caller, tenant, client_id)

    @api.route(
        "DELETE",
        CLIENT + "/restriction",
        summary="Lift the restriction: the client is processed again",
        roles=ADMIN,
        refusals=[errors.InvalidTransition],
    )
    def lift_restriction(caller: Principal, tenant: TenantData, client_id: str) -> Client:
        rights.lift(caller, tenant, client_id)
        return clients.read(caller, tenant, client_id)

    @api.route(
        "GET",
        CLIENT + "/recipients",
        summary="Who received the client's data (contact persons, processors), to pass on changes",
        roles=ADMIN,
        refusals=SEALED,
    )
    def client_recipients(
        caller: Principal, tenant: TenantData, client_id: str
    ) -> ClientRecipients:
        return recipients.recipients(caller, tenant, client_id)
