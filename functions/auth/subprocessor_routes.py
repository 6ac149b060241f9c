"""auth_api's routes for sub-processors (SPEC K-4): the public list, the owner's list and
announced changes, each tenant's approvals, and the administrator's objection."""

from __future__ import annotations

from functions.auth import subprocessor_changes, subprocessors, tenants
from functions.auth.subprocessor_models import (
    ApprovalChange,
    ChangeAnnouncement,
    ObjectionCreate,
    SubprocessorChange,
    SubprocessorChangeList,
    SubprocessorList,
    SubprocessorView,
    TenantSubprocessors,
)
from shared import errors
from shared.http import Api
from shared.principal import Principal, Role
from shared.subprocessors import SubprocessorEntry, SubprocessorRequired
from shared.tenancy import TenantData

OWNER = [Role.OWNER]
ENTRY = "/subprocessors/<subprocessor_id>"
CHANGES = "/subprocessor-changes"


def register(api: Api) -> None:
    @api.route(
        "GET",
        "/subprocessors",
        summary="The supplier's sub-processors (public; also published as a page)",
        roles=None,
    )
    def public_subprocessors() -> SubprocessorList:
        return subprocessors.public_list()

    @api.route(
        "PUT",
        ENTRY,
        summary="Correct a sub-processor's description (a new one is announced as a change)",
        roles=OWNER,
    )
    def describe_subprocessor(
        caller: Principal, subprocessor_id: str, body: SubprocessorEntry
    ) -> SubprocessorView:
        return subprocessors.describe(caller, subprocessor_id, body)

    @api.route(
        "GET", CHANGES, summary="Announced changes and the tenants that objected", roles=OWNER
    )
    def list_subprocessor_changes(caller: Principal) -> SubprocessorChangeList:
        return SubprocessorChangeList(changes=subprocessor_changes.list_changes())

    @api.route(
        "POST",
        CHANGES,
        summary="Announce a planned change (at least 30 days ahead) to every tenant's DPA contacts",
        roles=OWNER,
        status=201,
        refusals=[
            subprocessor_changes.NoticePeriodTooShort,
            errors.InvalidTransition,
            errors.NotFound,
        ],
    )
    def announce_change(caller: Principal, body: ChangeAnnouncement) -> SubprocessorChange:
        return subprocessor_changes.announce(caller, body)

    @api.route(
        "GET",
        "/tenants/<tenant_id>/subprocessors",
        summary="A tenant's approval of each sub-processor (audited owner access)",
        roles=OWNER,
    )
    def tenant_subprocessors(caller: Principal, tenant_id: str) -> TenantSubprocessors:
        tenants.load_existing(tenant_id)
        return subprocessors.tenant_view(caller.owner_access(tenant_id, "read sub-processors"))

    @api.route(
        "PUT",
        "/tenants/<tenant_id>" + ENTRY,
        summary="Record the customer's approval of a sub-processor, or its withdrawal",
        roles=OWNER,
        refusals=[SubprocessorRequired],
    )
    def record_approval(
        caller: Principal, tenant_id: str, subprocessor_id: str, body: ApprovalChange
    ) -> TenantSubprocessors:
        tenants.load_existing(tenant_id)
        return subprocessors.record_approval(caller, tenant_id, subprocessor_id, body)

    @api.route(
        "GET",
        "/tenant/subprocessors",
        summary="The sub-processors this organisation approved, and announced changes",
        roles=[Role.ADMIN],
    )
    def own_subprocessors(tenant: TenantData) -> TenantSubprocessors:
        return subprocessors.tenant_view(tenant)

    @api.route(
        "POST",
        "/tenant" + CHANGES + "/<change_id>/objection",
        summary="Object to an announced change before it takes effect (the owner is told)",
        roles=[Role.ADMIN],
        refusals=[subprocessor_changes.ObjectionPeriodOver, errors.InvalidTransition],
    )
    def object_to_change(
        caller: Principal, tenant: TenantData, change_id: str, body: ObjectionCreate
    ) -> TenantSubprocessors:
        return subprocessor_changes.object_to(caller, tenant, change_id, body)
