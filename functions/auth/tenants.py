"""Tenants and licences, operated by the system owner (SPEC T-1, T-3, T-4)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from functions.auth import accounts, payments, saml
from functions.auth import errors as auth_errors
from functions.auth.models import (
    SignInChange,
    SignInConfig,
    Suspension,
    Tenant,
    TenantCreate,
    TenantCreated,
)
from shared import errors
from shared.contracts import Contract, contract_ref
from shared.events import record_event
from shared.gcp import firestore_client
from shared.ids import new_id
from shared.principal import Principal, Role
from shared.tenancy import TENANTS, TenantData
from shared.tenants import EXPORT_PERIOD, AddOn, Licence, TenantStatus

USERS = accounts.USERS
# Allowed status changes: suspension for non-payment is lifted by reactivation;
# termination is final (the nightly maintenance erases the tenant after 90 days).
TRANSITIONS = {
    "suspend": ({TenantStatus.ACTIVE}, TenantStatus.SUSPENDED),
    "reactivate": ({TenantStatus.SUSPENDED}, TenantStatus.ACTIVE),
    "terminate": (
        {TenantStatus.PENDING, TenantStatus.ACTIVE, TenantStatus.SUSPENDED},
        TenantStatus.TERMINATED,
    ),
}


def to_document(tenant: Tenant) -> dict[str, Any]:
    data: dict[str, Any] = tenant.to_firestore()
    data.pop("slug")
    return data


def from_snapshot(snapshot: Any) -> Tenant:
    return Tenant.model_validate({**(snapshot.to_dict() or {}), "slug": snapshot.id})


def load(tenant: TenantData, transaction: firestore.Transaction | None = None) -> Tenant:
    snapshot = tenant.root.get(transaction=transaction)
    if not snapshot.exists:
        raise errors.NotFound("No such tenant")
    return from_snapshot(snapshot)


def provision(owner: Principal, body: TenantCreate) -> TenantCreated:
    """Create a tenant, pending until its DPA is recorded (SPEC K-2), with its contract
    record and its first administrator, who gets a welcome e-mail."""
    now = datetime.now(UTC)
    tenant = Tenant(
        slug=body.slug,
        display_name=body.display_name,
        status=TenantStatus.PENDING,
        licence=body.licence,
        seats_used=0,
        locale=body.locale,
        created_at=now,
    )
    data = TenantData(firestore_client(), body.slug)
    batch = data.db.batch()
    batch.create(data.root, to_document(tenant))
    batch.create(
        contract_ref(data), Contract.model_validate(body.contract.model_dump()).to_firestore()
    )
    try:
        batch.commit()
    except AlreadyExists:
        raise auth_errors.SlugTaken(f"The slug '{body.slug}' is taken") from None
    try:
        admin = accounts.create_member(
            data,
            body.administrator,
            Role.ADMIN,
            uid=new_id("administrator"),
            check_seat=None,
            tenant_name=body.display_name,
            locale=body.locale,
            actor=owner.uid,
        )
    except BaseException:
        contract_ref(data).delete()  # nothing is left of a tenant whose administrator failed
        data.root.delete()
        raise
    record_event(
        data,
        actor=owner.uid,
        action="tenant.provisioned",
        subject="tenant",
        details={"administrator": admin.uid, "seats": body.licence.seats},
    )
    return TenantCreated(tenant=tenant, administrator_uid=admin.uid)


def list_tenants() -> list[Tenant]:
    """Tenant documents only (name, status, licence): no tenant data is opened."""
    return [from_snapshot(s) for s in firestore_client().collection(TENANTS).get()]


def change_licence(owner: Principal, tenant_id: str, licence: Licence) -> Tenant:
    data = owner.owner_access(tenant_id, "change licence")

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> Tenant:
        tenant = load(data, transaction)
        refuse_if_terminated(tenant)
        if licence.seats is not None and licence.seats < tenant.seats_used:
            raise errors.InvalidTransition(
                f"{tenant.seats_used} seats are in use; free seats before lowering to "
                f"{licence.seats}"
            )
        if AddOn.SMS_MFA not in licence.add_ons and tenant.sign_in.mfa_required:
            tenant.sign_in.mfa_required = False
        tenant.licence = licence
        transaction.update(
            data.root,
            {"licence": licence.model_dump(mode="json"), "sign_in": tenant.sign_in.model_dump()},
        )
        return tenant

    tenant: Tenant = apply(data.db.transaction())
    record_event(
        data,
        actor=owner.uid,
        action="tenant.licence_changed",
        subject="tenant",
        details=licence.model_dump(mode="json"),
    )
    return tenant


def change_status(
    owner: Principal, tenant_id: str, verb: str, suspension: Suspension | None = None
) -> Tenant:
    allowed_from, target = TRANSITIONS[verb]
    data = owner.owner_access(tenant_id, verb)
    now = datetime.now(UTC)
    if suspension is not None:  # non-payment: only after a written demand (SPEC K-3)
        payments.check_suspension(data, load(data), suspension, now)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> Tenant:
        tenant = load(data, transaction)
        if tenant.status not in allowed_from:
            raise errors.InvalidTransition(f"A {tenant.status} tenant cannot {verb}")
        tenant.status = target
        if target is TenantStatus.SUSPENDED:
            tenant.suspended_at = now
        if target is TenantStatus.ACTIVE:
            tenant.suspended_at = None
            tenant.reactivated_at = now
        if target is TenantStatus.TERMINATED:
            tenant.terminated_at = now
            tenant.export_available_until = now + EXPORT_PERIOD
        transaction.update(
            data.root,
            {
                "status": target.value,
                "suspended_at": tenant.suspended_at,
                "reactivated_at": tenant.reactivated_at,
                "terminated_at": tenant.terminated_at,
                "export_available_until": tenant.export_available_until,
            },
        )
        return tenant

    tenant: Tenant = apply(data.db.transaction())
    details = suspension.model_dump() if suspension is not None else {}
    record_event(
        data, actor=owner.uid, action=f"tenant.{target.value}", subject="tenant", details=details
    )
    return tenant


def refuse_if_terminated(tenant: Tenant) -> None:
    if tenant.status is TenantStatus.TERMINATED:
        raise errors.InvalidTransition("The tenant is terminated; it can no longer change")


def change_sign_in(actor: Principal, data: TenantData, change: SignInChange) -> Tenant:
    """SMS second factor, Entra ID and SAML (ADFS) sign-in, each only with its add-on."""
    entra_provider = saml_settings = None
    if change.entra is not None:
        if AddOn.ENTRA_ID not in load(data).licence.add_ons:
            raise errors.Forbidden("The licence does not include Entra ID sign-in")
        entra_provider = accounts.configure_entra(data.tenant_id, change.entra)
    if change.saml is not None:
        if AddOn.ADFS not in load(data).licence.add_ons:
            raise errors.Forbidden("The licence does not include ADFS (SAML) sign-in")
        saml_settings = saml.configure(data.tenant_id, change.saml)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> Tenant:
        # Read with the licence in one transaction: a licence change cannot slip between.
        tenant = load(data, transaction)
        refuse_if_terminated(tenant)
        settings = tenant.sign_in
        if change.mfa_required is not None:
            if change.mfa_required and AddOn.SMS_MFA not in tenant.licence.add_ons:
                raise errors.Forbidden("The licence does not include SMS second factor")
            settings.mfa_required = change.mfa_required
        if entra_provider is not None:
            settings.entra_provider_id = entra_provider
        if saml_settings is not None:
            settings.saml = saml_settings
        transaction.update(data.root, {"sign_in": settings.model_dump()})
        return tenant

    tenant: Tenant = apply(data.db.transaction())
    record_event(
        data,
        actor=actor.uid,
        action="tenant.sign_in_changed",
        subject="tenant",
        details=tenant.sign_in.model_dump(),
    )
    return tenant


def sign_in_config(slug: str) -> SignInConfig:
    """Public: what the sign-in page of a tenant needs to show."""
    tenant = load(TenantData(firestore_client(), slug))
    providers = ["password"]
    if tenant.sign_in.entra_provider_id:
        providers.append(tenant.sign_in.entra_provider_id)
    if tenant.sign_in.saml is not None:
        providers.append(tenant.sign_in.saml.provider_id)
    return SignInConfig(
        slug=tenant.slug,
        display_name=tenant.display_name,
        status=tenant.status,
        providers=providers,
        mfa_required=tenant.sign_in.mfa_required,
    )


def load_existing(tenant_id: str) -> None:
    """404 before an owner action is logged against a tenant that does not exist."""
    load(TenantData(firestore_client(), tenant_id))
