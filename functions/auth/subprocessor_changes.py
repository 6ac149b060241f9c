"""Announced changes of the sub-processor list (SPEC K-4): the owner announces one at
least 30 days ahead, every tenant's DPA contacts and administrators get a Danish e-mail
once each (ids derived from change, tenant and address), and a tenant's administrator may
object before the effective date: the new sub-processor is then never approved for that
tenant, and the owners are told. What follows an objection is the contract's (the
customer may terminate)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

from google.cloud import firestore

from functions.auth.subprocessor_models import (
    ChangeAnnouncement,
    ObjectionCreate,
    SubprocessorChange,
    TenantSubprocessors,
)
from functions.auth.subprocessors import all_changes, now_or, tenant_view
from shared import errors
from shared import subprocessors as sp
from shared.contracts import NoticeTopic, notice_recipients, owner_recipients
from shared.events import record_event
from shared.gcp import firestore_client
from shared.messaging import outbox
from shared.principal import Principal
from shared.subprocessors import (
    CHANGES,
    NOTICE_DAYS,
    SUBPROCESSORS,
    Approvals,
    Objection,
    Status,
    Subprocessor,
)
from shared.subscriptions import received_on
from shared.templating import MailTemplates, long_date
from shared.tenancy import TENANTS, TenantData
from shared.tenants import TenantStatus

MAIL = MailTemplates(Path(__file__).with_name("templates"))
OBJECTIONS = "objections"  # subprocessor_changes/{id}/objections/{tenant id}
NOTIFIED = (TenantStatus.ACTIVE, TenantStatus.SUSPENDED)  # tenants that hold data


class NoticePeriodTooShort(errors.ApiError):
    status, code = 422, "notice_period_too_short"
    title = f"A change takes effect at least {NOTICE_DAYS} days after it is announced"


class ObjectionPeriodOver(errors.ApiError):
    status, code = 409, "objection_period_over"
    title = "The change has taken effect; an objection had to come before"


def _change_id(body: ChangeAnnouncement, effective_on: date) -> str:
    """Derived from what the change is: announcing it again finds the same change."""
    new = body.subprocessor.id if body.subprocessor else ""
    key = f"{body.kind}:{new}:{body.replaces or ''}:{effective_on}"
    return "change-" + hashlib.sha256(key.encode()).hexdigest()[:20]


def announce(
    owner: Principal, body: ChangeAnnouncement, now: datetime | None = None
) -> SubprocessorChange:
    """Record a planned change of the list and e-mail it to every tenant's DPA contacts
    and administrators, each once; announcing the same change again sends nothing more."""
    db, moment = firestore_client(), now_or(now)
    today = received_on(moment)
    earliest = today + timedelta(days=NOTICE_DAYS)
    effective_on = body.effective_on or earliest
    if effective_on < earliest:
        raise NoticePeriodTooShort(f"effective_on must be {earliest.isoformat()} or later")
    sp.load_list(db)
    change_ref = db.collection(CHANGES).document(_change_id(body, effective_on))
    entries = db.collection(SUBPROCESSORS)

    @firestore.transactional
    def record(transaction: firestore.Transaction) -> SubprocessorChange:
        existing = change_ref.get(transaction=transaction)
        if existing.exists:  # announced already: the same change (its e-mails go again)
            return SubprocessorChange.model_validate(existing.to_dict() or {})
        new_ref = entries.document(body.subprocessor.id) if body.subprocessor else None
        old_ref = entries.document(body.replaces) if body.replaces else None
        new = new_ref.get(transaction=transaction) if new_ref else None
        old = old_ref.get(transaction=transaction) if old_ref else None
        if new is not None and new.exists:
            raise errors.InvalidTransition("That sub-processor is on the list already")
        if old is not None and old_ref is not None:
            if not old.exists:
                raise errors.NotFound("No such sub-processor on the list")
            leaving = Subprocessor.model_validate(old.to_dict() or {})
            if leaving.status_on(today) is not Status.IN_USE:
                raise errors.InvalidTransition(
                    f"The sub-processor is {leaving.status_on(today)}, not in use"
                )
            transaction.update(old_ref, {"until": effective_on.isoformat()})
        if new_ref is not None and body.subprocessor is not None:
            entry = Subprocessor(**body.subprocessor.model_dump(), since=effective_on)
            transaction.create(new_ref, entry.to_firestore())
        change = SubprocessorChange(
            id=change_ref.id,
            kind=body.kind,
            subprocessor_id=body.subprocessor.id if body.subprocessor else None,
            replaces=body.replaces,
            effective_on=effective_on,
            announced_at=moment,
            announced_by=owner.uid,
            note=body.note,
        )
        transaction.create(change_ref, change.model_dump(mode="json"))
        return change

    change: SubprocessorChange = record(db.transaction())
    notified = _notify_every_tenant(db, change, sp.load_list(db))
    change_ref.update({"tenants_notified": notified})
    return change.model_copy(update={"tenants_notified": notified})


def _notify_every_tenant(
    db: firestore.Client, change: SubprocessorChange, entries: list[Subprocessor]
) -> int:
    by_id = {e.id: e for e in entries}
    notified = 0
    for snapshot in db.collection(TENANTS).get():
        document = snapshot.to_dict() or {}
        if document.get("status") not in NOTIFIED:
            continue  # pending: its DPA will list the change; terminated: leaving
        tenant = TenantData(db, snapshot.id)
        if change.subprocessor_id is not None:
            _add_pending(tenant, change)
        _email_tenant(tenant, str(document.get("display_name") or snapshot.id), change, by_id)
        record_event(
            tenant,
            actor=change.announced_by,
            action="subprocessor.change_announced",
            subject=f"{CHANGES}/{change.id}",
            details={"kind": change.kind.value, "effective_on": change.effective_on.isoformat()},
            event_id=f"{change.id}-announced",
        )
        notified += 1
    return notified


def _add_pending(tenant: TenantData, change: SubprocessorChange) -> None:
    """The new sub-processor is approved on the effective date unless the tenant objects
    (computed at use by shared.subprocessors.approved). A tenant without recorded
    approvals is left as it is (it is refused nothing)."""

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        snapshot = tenant.root.get(transaction=transaction)
        approvals = sp.from_document(snapshot.to_dict())
        new = change.subprocessor_id
        if approvals is None or new is None or new in approvals.approved:
            return
        if change.id in approvals.objections or new in approvals.pending:
            return
        approvals.pending[new] = sp.PendingApproval(
            change_id=change.id, effective_on=change.effective_on
        )
        transaction.update(tenant.root, {sp.TENANT_FIELD: approvals.to_firestore()})

    apply(tenant.db.transaction())


def _email_tenant(
    tenant: TenantData, name: str, change: SubprocessorChange, by_id: dict[str, Subprocessor]
) -> None:
    new = by_id.get(change.subprocessor_id or "")
    old = by_id.get(change.replaces or "")
    for recipient in notice_recipients(tenant, NoticeTopic.DATA_PROTECTION):
        params = {
            "name": recipient.name,
            "customer": name,
            "kind": change.kind.value,
            "new_name": f"{new.name}: {new.service}" if new else "",
            "new_activity": new.activity if new else "",
            "new_location": new.location if new else "",
            "new_transfer": new.transfer_basis if new else "",
            "old_name": f"{old.name}: {old.service}" if old else "",
            "effective_on": long_date(change.effective_on, recipient.locale),
            "note": change.note or "",
        }
        key = f"{change.id}:{tenant.tenant_id}:{recipient.email}"
        outbox.email(
            tenant,
            message_id="subprocessor-change-" + hashlib.sha256(key.encode()).hexdigest()[:24],
            to=recipient.email,
            kind="subprocessor_change",
            content=MAIL.render("subprocessor_change", recipient.locale, params),
            locale=recipient.locale,
            requested_by=change.announced_by,
        )


def _load_change(db: firestore.Client, change_id: str) -> SubprocessorChange:
    snapshot = db.collection(CHANGES).document(change_id).get()
    if not snapshot.exists:
        raise errors.NotFound("No such sub-processor change")
    return SubprocessorChange.model_validate(snapshot.to_dict() or {})


def object_to(
    admin: Principal,
    tenant: TenantData,
    change_id: str,
    body: ObjectionCreate,
    now: datetime | None = None,
) -> TenantSubprocessors:
    """The administrator objects to an announced change before it takes effect: the new
    sub-processor is then not approved for the tenant, and the owners are told (what
    follows is the contract's: the customer may terminate)."""
    db, moment = tenant.db, now_or(now)
    change = _load_change(db, change_id)
    if change.subprocessor_id is None:
        raise errors.InvalidTransition("A removal takes nothing new into use; nothing to object")
    if received_on(moment) >= change.effective_on:
        raise ObjectionPeriodOver(f"The change took effect on {change.effective_on.isoformat()}")
    entries = sp.load_list(db)
    objection = Objection(
        subprocessor_id=change.subprocessor_id,
        objected_at=moment,
        objected_by=admin.uid,
        reason=body.reason,
    )
    kept = db.collection(CHANGES).document(change.id).collection(OBJECTIONS)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> bool:
        snapshot = tenant.root.get(transaction=transaction)
        approvals = sp.materialise(sp.from_document(snapshot.to_dict()), entries, moment)
        if change.id in approvals.objections:
            return False  # objected already: the first objection stands
        approvals.objections[change.id] = objection
        approvals = Approvals.model_validate(approvals.model_dump())  # drops the pending one
        transaction.update(tenant.root, {sp.TENANT_FIELD: approvals.to_firestore()})
        transaction.set(kept.document(tenant.tenant_id), objection.model_dump(mode="json"))
        return True

    if apply(db.transaction()):
        details = {"change": change.id, "subprocessor": change.subprocessor_id}
        record_event(
            tenant,
            actor=admin.uid,
            action="subprocessor.objected",
            subject=f"{CHANGES}/{change.id}",
            details=details,
            event_id=f"{change.id}-objected",
        )
    _email_owners(tenant, change, objection)
    return tenant_view(tenant, now=moment)


def _email_owners(tenant: TenantData, change: SubprocessorChange, objection: Objection) -> None:
    """Each active owner once per objection (the message id says which)."""
    snapshot = tenant.root.get()
    name = str((snapshot.to_dict() or {}).get("display_name") or tenant.tenant_id)
    for owner in owner_recipients(tenant.db, objection.objected_at):
        params = {
            "name": owner.name,
            "customer": name,
            "subprocessor": change.subprocessor_id or "",
            "effective_on": long_date(change.effective_on, owner.locale),
            "reason": objection.reason,
        }
        key = f"{change.id}:{tenant.tenant_id}:{owner.email}"
        outbox.email(
            tenant,
            message_id="subprocessor-objection-" + hashlib.sha256(key.encode()).hexdigest()[:24],
            to=owner.email,
            kind="subprocessor_objection",
            content=MAIL.render("subprocessor_objection", owner.locale, params),
            locale=owner.locale,
            requested_by=objection.objected_by,
        )


def list_changes() -> list[SubprocessorChange]:
    """Every announced change with the tenants that objected (the owner's view)."""
    db = firestore_client()
    changes = all_changes(db)
    for change in changes:
        kept = db.collection(CHANGES).document(change.id).collection(OBJECTIONS).get()
        change.objections = {s.id: Objection.model_validate(s.to_dict() or {}) for s in kept}
    return changes
