"""Nightly job: erase a terminated tenant entirely, confirm it to the customer, keep a record.

A terminated tenant (SPEC T-4) is due when its contract says "delete" (the first night
after termination), when an administrator confirmed receiving the export
(`export_received_at`), or when its export period ends (`export_available_until`, 90 days
after termination). A suspended tenant is never due. The deletion is a resumable job whose
checkpoint is the supplier-side record `tenant_deletions/{t}` (server-only, no rule opens
it), written in phases:

1. `counted`: what is about to go (documents, objects, accounts, export archives) and the
   addresses that will receive the confirmation (`pending_recipients`: the DPA contacts
   and administrators, read now because they are deleted next).
2. `removed`: every document below `tenants/{t}` at any depth, the tenant document, its
   files, its Auth accounts, its export archives, its erasure ledger (the removal the
   restore drill uses: convergent, so a run killed half-way is finished by the next).
3. `confirmed`: one Danish (or English) e-mail per recipient sent straight through SES,
   since the tenant's outbox is gone; each recipient's digest is recorded after its send,
   so a resumed run does not send it twice; then the addresses are deleted from the record.

What stays is the record: dates, counts and the basis, no personal data. Its backups age
out within 30 days (`purge_old_backups`), and a restore of a deleted tenant is refused.
Pending Cloud Tasks of the tenant (remote-task reminders, scheduled e-mails, SLA alerts)
are made harmless rather than hunted: each handler finds no tenant, message or ticket and
writes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import Field

from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.backups.drills import remove_tenant
from shared import contracts
from shared.contracts import NoticeRecipient, NoticeTopic, TerminationChoice
from shared.erasure_ledger import LEDGER
from shared.faults import crash_point
from shared.gcp import firebase_app
from shared.jobs import Clock, JobResult
from shared.messaging.providers import Providers, default_providers
from shared.models import Model
from shared.storage import uploads_bucket
from shared.subprocessors import AMAZON_SES, approved
from shared.templating import MailTemplates, long_date
from shared.tenancy import TENANTS, TenantData
from shared.tenants import TenantDocument, TenantStatus

DELETIONS = "tenant_deletions"
MAIL = MailTemplates(Path(__file__).parent.parent / "templates")
log = logging.getLogger(__name__)


class DeletionBasis(StrEnum):
    CONTRACT_DELETE = "contract_delete"  # the contract says delete, not return
    EXPORT_RECEIVED = "export_received"  # the customer confirmed receiving the export
    EXPORT_PERIOD_OVER = "export_period_over"  # 90 days after termination


class Phase(StrEnum):
    COUNTED = "counted"
    REMOVED = "removed"
    CONFIRMED = "confirmed"


class DeletionCounts(Model):
    documents: int
    objects: int
    accounts: int
    exports: int


class Recipient(Model):
    email: str
    name: str
    locale: str


class DeletionRecord(Model):
    """`tenant_deletions/{t}`: the supplier's record of a deleted tenant."""

    tenant_id: str
    basis: DeletionBasis
    phase: Phase
    terminated_at: datetime | None
    export_received_at: datetime | None
    started_at: datetime
    removed_at: datetime | None = None
    confirmed_at: datetime | None = None
    counts: DeletionCounts
    confirmations_sent: int = 0
    # Transient: the addresses of the confirmation, deleted once it is sent.
    pending_recipients: list[Recipient] = Field(default_factory=list)
    sent_to: list[str] = Field(default_factory=list)  # digests of the addresses done
    customer: str = ""  # the customer's (organisation's) name, for the e-mail


def deletion_ref(db: firestore.Client, tenant_id: str) -> firestore.DocumentReference:
    return db.collection(DELETIONS).document(tenant_id)


def due(document: TenantDocument, choice: TerminationChoice, now: datetime) -> DeletionBasis | None:
    """Why a tenant is to be erased now, or None (not terminated, or still exporting)."""
    if document.status != TenantStatus.TERMINATED:
        return None
    if choice is TerminationChoice.DELETE:
        return DeletionBasis.CONTRACT_DELETE
    if document.export_received_at is not None:
        return DeletionBasis.EXPORT_RECEIVED
    if document.export_available_until is not None and now >= document.export_available_until:
        return DeletionBasis.EXPORT_PERIOD_OVER
    return None


def load_record(db: firestore.Client, tenant_id: str) -> DeletionRecord | None:
    found = deletion_ref(db, tenant_id).get()
    return DeletionRecord.model_validate(found.to_dict()) if found.exists else None


def _digest(tenant_id: str, email: str) -> str:
    return hashlib.sha256(f"{tenant_id}:{email}".encode()).hexdigest()[:24]


def _count(db: firestore.Client, tenant_id: str) -> DeletionCounts:
    from shared.exports import export_archives

    return DeletionCounts(
        documents=sum(1 for _ in snapshot.documents(db, tenant_id)),
        objects=sum(1 for _ in snapshot.objects(uploads_bucket(), tenant_id)),
        accounts=sum(1 for _ in snapshot.accounts(firebase_app(), tenant_id)),
        exports=sum(1 for _ in export_archives(tenant_id)),
    )


def _start(
    db: firestore.Client,
    tenant: TenantData,
    document: TenantDocument,
    basis: DeletionBasis,
    now: datetime,
) -> DeletionRecord:
    recipients: list[NoticeRecipient] = []
    if approved(tenant, AMAZON_SES, now):  # no e-mail through a sub-processor it refused
        recipients = contracts.notice_recipients(tenant, NoticeTopic.DATA_PROTECTION)
    contract = contracts.load(tenant)
    record = DeletionRecord(
        tenant_id=tenant.tenant_id,
        basis=basis,
        phase=Phase.COUNTED,
        terminated_at=document.terminated_at,
        export_received_at=document.export_received_at,
        started_at=now,
        counts=_count(db, tenant.tenant_id),
        pending_recipients=[
            Recipient(email=r.email, name=r.name, locale=r.locale.value) for r in recipients
        ],
        customer=contract.customer.name if contract else document.display_name,
    )
    try:
        deletion_ref(db, tenant.tenant_id).create(record.model_dump(mode="python"))
    except AlreadyExists:  # an overlapping run started it first
        found = load_record(db, tenant.tenant_id)
        assert found is not None
        return found
    crash_point("tenant_deletion.counted")
    return record


def _remove(db: firestore.Client, record: DeletionRecord, now: datetime) -> None:
    from shared.exports import export_archives

    tenant_id = record.tenant_id
    remove_tenant(db, tenant_id)
    crash_point("tenant_deletion.removing")
    for blob in export_archives(tenant_id):
        blob.delete()
    for ref in db.collection(LEDGER).document(tenant_id).collections():
        for doc in ref.list_documents():
            doc.delete()
    db.collection(LEDGER).document(tenant_id).delete()
    deletion_ref(db, tenant_id).update({"phase": Phase.REMOVED.value, "removed_at": now})
    record.phase, record.removed_at = Phase.REMOVED, now


def _confirm(
    db: firestore.Client, record: DeletionRecord, providers: Providers, now: datetime
) -> None:
    ref = deletion_ref(db, record.tenant_id)
    for person in record.pending_recipients:
        key = _digest(record.tenant_id, person.email)
        if key in record.sent_to:
            continue
        params = {
            "name": person.name,
            "customer": record.customer or record.tenant_id,
            "terminated_on": long_date(record.terminated_at or record.started_at, person.locale),
            "deleted_on": long_date(record.removed_at or now, person.locale),
            "documents": str(record.counts.documents),
            "objects": str(record.counts.objects),
            "accounts": str(record.counts.accounts),
            "basis": record.basis.value,
        }
        mail = MAIL.render("tenant_deleted", person.locale, params)
        providers.email.send_email(person.email, mail.subject, mail.text, mail.html)
        ref.update({"sent_to": firestore.ArrayUnion([key])})
        crash_point("tenant_deletion.confirmation_sent")
    ref.update(
        {
            "phase": Phase.CONFIRMED.value,
            "confirmed_at": now,
            "confirmations_sent": len(record.pending_recipients),
            "pending_recipients": firestore.DELETE_FIELD,
            "sent_to": firestore.DELETE_FIELD,
        }
    )


def finish(
    db: firestore.Client, record: DeletionRecord, now: datetime, providers: Providers
) -> None:
    """Carry a started deletion through its remaining phases."""
    if record.phase is Phase.COUNTED:
        _remove(db, record, now)
    if record.phase is not Phase.CONFIRMED:
        _confirm(db, record, providers, now)
    log.info(
        "tenant deleted",
        extra={"tenant_id": record.tenant_id, "basis": record.basis.value}
        | record.counts.model_dump(),
    )


def erase_terminated_tenants(
    db: firestore.Client,
    deadline: datetime,
    clock: Clock,
    providers: Providers | None = None,
) -> JobResult:
    """Every deletion under way first (its tenant document may be gone), then every
    terminated tenant now due; one tenant at a time, the deadline checked between them."""
    name, done = "erase_terminated_tenants", 0

    def send() -> Providers:  # made only when a tenant is deleted: most nights none is
        return providers or default_providers()

    unfinished = db.collection(DELETIONS).where(
        filter=FieldFilter("phase", "in", [Phase.COUNTED.value, Phase.REMOVED.value])
    )
    for found in unfinished.get():
        if clock() >= deadline:
            return JobResult(name=name, processed=done, finished=False)
        finish(db, DeletionRecord.model_validate(found.to_dict()), clock(), send())
        done += 1
    terminated = db.collection(TENANTS).where(
        filter=FieldFilter("status", "==", TenantStatus.TERMINATED.value)
    )
    for found in terminated.get():
        if clock() >= deadline:
            return JobResult(name=name, processed=done, finished=False)
        tenant = TenantData(db, found.id)
        document = TenantDocument.model_validate(found.to_dict() or {})
        contract = contracts.load(tenant)
        choice = contract.on_termination if contract else TerminationChoice.RETURN_THEN_DELETE
        basis = due(document, choice, clock())
        if basis is None:
            continue
        finish(db, _start(db, tenant, document, basis, clock()), clock(), send())
        done += 1
    return JobResult(name=name, processed=done, finished=True)


def deleted(db: firestore.Client, tenant_id: str) -> bool:
    """Whether the tenant was erased (or is being): its backups must not bring it back."""
    return deletion_ref(db, tenant_id).get().exists


def record_data(record: DeletionRecord) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude={"pending_recipients", "sent_to"})
