"""auth_api's routes for contracts (SPEC K-1 ... K-3) and the supplier's staff register:
the owner records terms, DPAs, cancellations and payment demands and suspends; an
administrator lists the owner accesses to their own tenant."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.auth import contracts, payments, staff, tenants
from functions.auth.models import (
    CancellationReceived,
    CancellationRequest,
    ContractView,
    MissingDpaReport,
    OwnerAccessList,
    PaymentDemand,
    PaymentDemandCreate,
    StaffGrant,
    StaffList,
    StaffMember,
    Suspension,
    Tenant,
)
from shared import errors
from shared.contracts import ContractTerms, DpaRecord
from shared.http import Api
from shared.principal import Principal, Role
from shared.subprocessors import SubprocessorRequired
from shared.tenancy import TenantData

OWNER = [Role.OWNER]
TENANT = "/tenants/<tenant_id>"


def register(api: Api) -> None:
    @api.route("GET", TENANT + "/contract", summary="A tenant's contract", roles=OWNER)
    def get_contract(caller: Principal, tenant_id: str) -> ContractView:
        tenants.load_existing(tenant_id)
        return contracts.view(caller.owner_access(tenant_id, "read contract"))

    @api.route(
        "PUT",
        TENANT + "/contract",
        summary="Record or replace a contract's terms (a DPA recorded stays)",
        roles=OWNER,
        refusals=[errors.InvalidTransition],
    )
    def put_contract(caller: Principal, tenant_id: str, body: ContractTerms) -> ContractView:
        tenants.load_existing(tenant_id)
        return contracts.set_terms(caller, tenant_id, body)

    @api.route(
        "POST",
        TENANT + "/dpa",
        summary="Record the signed DPA and its sub-processors; a pending tenant becomes active",
        roles=OWNER,
        refusals=[errors.InvalidTransition, SubprocessorRequired],
    )
    def record_dpa(caller: Principal, tenant_id: str, body: DpaRecord) -> ContractView:
        tenants.load_existing(tenant_id)
        return contracts.record_dpa(caller, tenant_id, body)

    @api.route(
        "POST",
        TENANT + "/cancellation",
        summary="Record a written cancellation; the answer says when it takes effect",
        roles=OWNER,
        refusals=[errors.InvalidTransition],
    )
    def cancel(
        caller: Principal, tenant_id: str, body: CancellationRequest
    ) -> CancellationReceived:
        tenants.load_existing(tenant_id)
        received = body.received_at or datetime.now(UTC)
        return contracts.record_cancellation(caller, tenant_id, received)

    @api.route(
        "GET",
        "/contracts/missing-dpa",
        summary="Tenants that may hold personal data without a recorded DPA",
        roles=OWNER,
    )
    def missing_dpa(caller: Principal) -> MissingDpaReport:
        return contracts.missing_dpa()

    @api.route(
        "POST",
        TENANT + "/payment-demands",
        summary="Record a written payment demand; it is e-mailed to the contract contacts",
        roles=OWNER,
        status=201,
        refusals=[errors.InvalidTransition],
    )
    def demand(caller: Principal, tenant_id: str, body: PaymentDemandCreate) -> PaymentDemand:
        tenants.load_existing(tenant_id)
        return payments.record_demand(caller, tenant_id, body)

    @api.route(
        "POST",
        TENANT + "/suspend",
        summary="Suspend a tenant: non-payment (after a 10-day-old written demand) or security",
        roles=OWNER,
        refusals=[errors.InvalidTransition, payments.PaymentDemandMissing],
    )
    def suspend_tenant(caller: Principal, tenant_id: str, body: Suspension) -> Tenant:
        tenants.load_existing(tenant_id)
        return tenants.change_status(caller, tenant_id, "suspend", body)

    # -- the supplier's staff register (the DPA's list of who has access) ----------------

    @api.route("GET", "/staff", summary="Who holds the owner role, and its reviews", roles=OWNER)
    def list_staff(caller: Principal) -> StaffList:
        return staff.list_staff()

    @api.route(
        "POST",
        "/staff",
        summary="Grant the owner role to a member of the supplier's staff",
        roles=OWNER,
        status=201,
        refusals=[errors.InvalidTransition],
    )
    def grant_staff(caller: Principal, body: StaffGrant) -> StaffMember:
        return staff.grant(caller, body)

    @api.route(
        "POST",
        "/staff/<uid>/review",
        summary="Confirm an owner access is still needed (another owner reviews)",
        roles=OWNER,
        refusals=[errors.InvalidTransition],
    )
    def review_staff(caller: Principal, uid: str) -> StaffMember:
        return staff.review(caller, uid)

    @api.route(
        "POST",
        "/staff/<uid>/revoke",
        summary="Revoke an owner access at once",
        roles=OWNER,
        refusals=[errors.InvalidTransition],
    )
    def revoke_staff(caller: Principal, uid: str) -> StaffMember:
        return staff.revoke(caller, uid)

    @api.route(
        "GET",
        "/tenant/owner-accesses",
        summary="Every access of the supplier's owners to this tenant's data",
        roles=[Role.ADMIN],
    )
    def owner_accesses(tenant: TenantData) -> OwnerAccessList:
        return staff.accesses_to(tenant)
