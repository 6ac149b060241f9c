"""The owner's work on a tenant's contract: terms, the DPA that activates a pending
tenant (SPEC K-1, K-2), a received cancellation, and the owner's report of tenants
without a DPA. The record itself is shared/contracts.py; this is who changes it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from functions.auth.models import (
    CancellationReceived,
    ContractView,
    MissingDpa,
    MissingDpaReport,
)
from functions.auth.subprocessors import dpa_approvals
from shared import contracts, errors
from shared.contracts import Contract, ContractTerms, DpaRecord
from shared.events import record_event
from shared.gcp import firestore_client
from shared.principal import Principal
from shared.subprocessors import TENANT_FIELD
from shared.subprocessors import load_list as load_subprocessors
from shared.subscriptions import cancellation
from shared.tenancy import TENANTS, TenantData
from shared.tenants import TenantStatus
from shared.tenants import from_snapshot as tenant_from_snapshot


def view(tenant: TenantData) -> ContractView:
    contract = contracts.load(tenant)
    if contract is None:
        raise errors.NotFound("The tenant has no contract record (provisioned before contracts)")
    licence = tenant_from_snapshot(tenant.root.get()).licence
    return ContractView(contract=contract, licence=licence)


def set_terms(owner: Principal, tenant_id: str, terms: ContractTerms) -> ContractView:
    """Record or replace the terms; a DPA and a cancellation already recorded stay."""
    data = owner.owner_access(tenant_id, "change contract terms")

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        tenant = tenant_from_snapshot(data.root.get(transaction=transaction))
        if tenant.status == TenantStatus.TERMINATED:
            raise errors.InvalidTransition("The tenant is terminated; it can no longer change")
        before = contracts.load(data, transaction)
        names = ("dpa", "dpa_recorded_at", "dpa_recorded_by", "cancellation")
        kept = {name: getattr(before, name) for name in names} if before else {}
        record = Contract.model_validate({**terms.model_dump(), **kept})
        transaction.set(contracts.contract_ref(data), record.to_firestore())

    apply(data.db.transaction())
    record_event(data, actor=owner.uid, action="contract.terms_recorded", subject="contract")
    return view(data)


def record_dpa(owner: Principal, tenant_id: str, dpa: DpaRecord) -> ContractView:
    """Record the signed DPA; a pending tenant becomes active with it (SPEC K-2)."""
    data = owner.owner_access(tenant_id, "record DPA")
    now = datetime.now(UTC)
    entries = load_subprocessors(data.db)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> str:
        tenant = tenant_from_snapshot(data.root.get(transaction=transaction))
        if tenant.status == TenantStatus.TERMINATED:
            raise errors.InvalidTransition("The tenant is terminated; it can no longer change")
        contract = contracts.load(data, transaction)
        if contract is None:
            raise errors.InvalidTransition("Record the contract's terms before its DPA")
        # The annex's sub-processors become the tenant's approvals (shared/subprocessors.py).
        annex, approvals = dpa_approvals(
            entries, dpa.subprocessors, tenant.subprocessors, owner.uid, now
        )
        signed = dpa.model_copy(update={"subprocessors": annex})
        transaction.update(
            contracts.contract_ref(data),
            {
                "dpa": signed.model_dump(mode="json"),
                "dpa_recorded_at": now,
                "dpa_recorded_by": owner.uid,
            },
        )
        root: dict[str, Any] = {TENANT_FIELD: approvals.to_firestore()}
        if tenant.status == TenantStatus.PENDING:
            root["status"] = TenantStatus.ACTIVE.value
        transaction.update(data.root, root)
        return str(tenant.status)

    before = apply(data.db.transaction())
    details = {"version": dpa.version, "signed_on": dpa.signed_on.isoformat()}
    record_event(
        data, actor=owner.uid, action="contract.dpa_recorded", subject="contract", details=details
    )
    if before == TenantStatus.PENDING:
        record_event(data, actor=owner.uid, action="tenant.active", subject="tenant")
    return view(data)


def record_cancellation(
    owner: Principal, tenant_id: str, received_at: datetime
) -> CancellationReceived:
    """A written cancellation, received at `received_at`: its effect under the contract's
    rule (shared/subscriptions.py); a late one ends the subscription a period later."""
    data = owner.owner_access(tenant_id, "record cancellation")
    if received_at > datetime.now(UTC):
        raise errors.ValidationFailed("received_at lies in the future")

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> contracts.CancellationRecord:
        contract = contracts.load(data, transaction)
        if contract is None:
            raise errors.InvalidTransition("The tenant has no contract record to cancel")
        if contract.cancellation is not None:
            raise errors.InvalidTransition("A cancellation is already recorded")
        sub = contract.subscription
        effect = cancellation(sub.cancellation_rule, sub.start, received_at)
        record = contracts.CancellationRecord(
            received_at=received_at,
            recorded_by=owner.uid,
            deadline=effect.deadline.last_day,
            ends_on=effect.ends_on,
            late=effect.late,
        )
        stored = record.model_dump(mode="json") | {"received_at": received_at}
        transaction.update(contracts.contract_ref(data), {"cancellation": stored})
        return record

    record = apply(data.db.transaction())
    record_event(
        data,
        actor=owner.uid,
        action="contract.cancelled",
        subject="contract",
        details={"ends_on": record.ends_on.isoformat(), "late": record.late},
    )
    detail = (
        f"Received after the deadline; the subscription ends on {record.ends_on} "
        "(the end of the next period)."
        if record.late
        else f"Received in time; the subscription ends on {record.ends_on}."
    )
    return CancellationReceived(cancellation=record, detail=detail)


def missing_dpa() -> MissingDpaReport:
    """Tenants that may hold personal data without a recorded DPA or without recorded
    sub-processor approvals: those provisioned before contracts or before approvals
    (legacy-active, no record, no DPA in it, or no approvals on the tenant). Recording
    the DPA settles both. Reads tenant and contract documents only, no tenant data."""
    db = firestore_client()
    tenants = [s for s in db.collection(TENANTS).get()]
    refs = [contracts.contract_ref(TenantData(db, s.id)) for s in tenants]
    found: dict[str, Any] = {s.reference.path: s for s in db.get_all(refs)} if refs else {}
    missing = []
    for snapshot, ref in zip(tenants, refs, strict=True):
        status = (snapshot.to_dict() or {}).get("status")
        if status in (TenantStatus.PENDING, TenantStatus.TERMINATED):
            continue  # pending: holds no client data; terminated: leaving anyway
        record = found.get(ref.path)
        data = record.to_dict() if record is not None and record.exists else None
        dpa = data is not None and bool(data.get("dpa"))
        approvals = (snapshot.to_dict() or {}).get(TENANT_FIELD) is not None
        if not dpa or not approvals:
            missing.append(
                MissingDpa(
                    slug=snapshot.id,
                    status=str(status),
                    contract_record=data is not None,
                    dpa=dpa,
                    subprocessor_approvals=approvals,
                )
            )
    return MissingDpaReport(tenants=missing)
