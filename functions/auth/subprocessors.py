"""The owner's and the administrator's work on sub-processors (SPEC K-4): the published
list, each tenant's recorded approvals (at its DPA and later) and what a tenant sees.
Announced changes and objections are subprocessor_changes.py; the list and the gate
are shared/subprocessors.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.cloud import firestore

from functions.auth.subprocessor_models import (
    ApprovalChange,
    PublicChange,
    SubprocessorChange,
    SubprocessorList,
    SubprocessorView,
    TenantApproval,
    TenantChange,
    TenantSubprocessors,
)
from shared import errors
from shared import subprocessors as sp
from shared.events import SYSTEM_ACTOR, record_event
from shared.gcp import firestore_client
from shared.principal import Principal
from shared.subprocessors import (
    CHANGES,
    NOTICE_DAYS,
    SUBPROCESSORS,
    Approval,
    Approvals,
    Status,
    Subprocessor,
    SubprocessorEntry,
    Withdrawal,
)
from shared.subscriptions import received_on
from shared.tenancy import TenantData


def now_or(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _view(entry: Subprocessor, today: date) -> SubprocessorView:
    return SubprocessorView(**entry.model_dump(), status=entry.status_on(today))


def all_changes(db: firestore.Client) -> list[SubprocessorChange]:
    found = [
        SubprocessorChange.model_validate(s.to_dict() or {}) for s in db.collection(CHANGES).get()
    ]
    return sorted(found, key=lambda c: (c.effective_on, c.id))


def public_list(now: datetime | None = None) -> SubprocessorList:
    """The list as published (public JSON and page): nothing about any tenant."""
    db, today = firestore_client(), received_on(now_or(now))
    entries = [e for e in sp.load_list(db) if e.status_on(today) is not Status.REMOVED]
    planned = [
        PublicChange.model_validate(c.model_dump(include=set(PublicChange.model_fields)))
        for c in all_changes(db)
        if c.effective_on > today
    ]
    return SubprocessorList(
        as_of=today,
        notice_days=NOTICE_DAYS,
        subprocessors=[_view(e, today) for e in entries],
        planned_changes=planned,
    )


def describe(owner: Principal, subprocessor_id: str, entry: SubprocessorEntry) -> SubprocessorView:
    """Correct an entry's description (name, activity, location, transfer basis). A new
    sub-processor comes only through an announced change."""
    db = firestore_client()
    sp.load_list(db)  # seeded, so the seed's entries can be corrected too
    ref = db.collection(SUBPROCESSORS).document(subprocessor_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> Subprocessor:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            raise errors.NotFound("No such sub-processor; announce a new one as a change")
        before = Subprocessor.model_validate(snapshot.to_dict() or {})
        updated = Subprocessor(**{**before.model_dump(), **entry.model_dump()})
        transaction.set(ref, updated.to_firestore())
        return updated

    updated = apply(db.transaction())
    return _view(updated, received_on(datetime.now(UTC)))


# -- a tenant's approvals ------------------------------------------------------------------


def record_approval(
    owner: Principal, tenant_id: str, subprocessor_id: str, body: ApprovalChange
) -> TenantSubprocessors:
    """The customer's written approval of a sub-processor, or its withdrawal. A
    withdrawal takes effect at once: messages queued before are failed, never sent."""
    data = owner.owner_access(tenant_id, "record sub-processor approval")
    moment = datetime.now(UTC)
    entries = {e.id: e for e in sp.load_list(data.db)}
    entry = entries.get(subprocessor_id)
    if entry is None:
        raise errors.NotFound("No such sub-processor on the list")
    if not body.approved and entry.required:
        raise sp.SubprocessorRequired(
            f"{entry.name} ({entry.service}) runs the service itself; without it the "
            "contract cannot be fulfilled (the customer may terminate it)"
        )

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        snapshot = data.root.get(transaction=transaction)
        approvals = sp.materialise(
            sp.from_document(snapshot.to_dict()), list(entries.values()), moment
        )
        approvals.pending.pop(subprocessor_id, None)
        if body.approved:
            approvals.withdrawn.pop(subprocessor_id, None)
            approvals.approved[subprocessor_id] = Approval(
                approved_at=moment, approved_by=owner.uid, source="recorded"
            )
        else:
            approvals.approved.pop(subprocessor_id, None)
            approvals.withdrawn[subprocessor_id] = Withdrawal(
                withdrawn_at=moment, withdrawn_by=owner.uid, note=body.note
            )
        transaction.update(data.root, {sp.TENANT_FIELD: approvals.to_firestore()})

    apply(data.db.transaction())
    action = "subprocessor.approved" if body.approved else "subprocessor.withdrawn"
    record_event(data, actor=owner.uid, action=action, subject=f"{SUBPROCESSORS}/{subprocessor_id}")
    return tenant_view(data, now=moment)


def dpa_approvals(
    entries: list[Subprocessor],
    annex: list[str] | None,
    before: Approvals | None,
    by: str,
    now: datetime,
) -> tuple[list[str], Approvals]:
    """What a DPA recorded now approves: its annex (default: the current list), checked
    against the list; objections and withdrawals recorded before stay as history."""
    by_id = {e.id: e for e in entries}
    chosen = sorted(set(annex)) if annex is not None else sp.current_ids(entries, received_on(now))
    unknown = [i for i in chosen if i not in by_id]
    if unknown:
        raise errors.ValidationFailed(f"Not on the sub-processor list: {', '.join(unknown)}")
    missing = [
        e.id
        for e in entries
        if e.required and e.status_on(received_on(now)) is not Status.REMOVED and e.id not in chosen
    ]
    if missing:
        raise sp.SubprocessorRequired(f"The annex must approve {', '.join(missing)}")
    approval = Approval(approved_at=now, approved_by=by, source="dpa")
    history = before or Approvals()
    approvals = Approvals(
        approved={i: approval for i in chosen},
        pending={k: v for k, v in history.pending.items() if k not in chosen},
        objections=history.objections,
        withdrawn={k: v for k, v in history.withdrawn.items() if k not in chosen},
    )
    return chosen, approvals


# -- what a tenant sees --------------------------------------------------------------------


def _approval(approvals: Approvals | None, entry: Subprocessor, today: date) -> dict[str, Any]:
    if approvals is None:
        return {"approval": "approved", "source": "not_recorded"}
    found = approvals.approved.get(entry.id)
    if found is not None:
        return {"approval": "approved", **found.model_dump()}
    pending = approvals.pending.get(entry.id)
    if pending is not None:
        if sp.approved_in(approvals, entry.id, today):
            return {
                "approval": "approved",
                "approved_at": datetime.combine(pending.effective_on, datetime.min.time(), UTC),
                "approved_by": SYSTEM_ACTOR,
                "source": f"change:{pending.change_id}",
            }
        return {"approval": "pending", "effective_on": pending.effective_on}
    if any(o.subprocessor_id == entry.id for o in approvals.objections.values()):
        return {"approval": "objected"}
    if entry.id in approvals.withdrawn:
        return {"approval": "withdrawn"}
    return {"approval": "not_approved"}


def tenant_view(tenant: TenantData, now: datetime | None = None) -> TenantSubprocessors:
    """Every sub-processor on the list with the tenant's approval, and every change with
    the tenant's objection, if any."""
    db, today = tenant.db, received_on(now_or(now))
    snapshot = tenant.root.get()
    if not snapshot.exists:
        raise errors.NotFound("No such tenant")
    approvals = sp.from_document(snapshot.to_dict())
    entries = [e for e in sp.load_list(db) if e.status_on(today) is not Status.REMOVED]
    objections = approvals.objections if approvals else {}
    return TenantSubprocessors(
        tenant_id=tenant.tenant_id,
        recorded=approvals is not None,
        subprocessors=[
            TenantApproval(subprocessor=_view(e, today), **_approval(approvals, e, today))
            for e in entries
        ],
        changes=[
            TenantChange(
                **c.model_dump(include=set(PublicChange.model_fields)),
                objection=objections.get(c.id),
            )
            for c in all_changes(db)
        ],
    )
