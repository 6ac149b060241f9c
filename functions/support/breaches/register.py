"""Opening a breach, its phased updates and who reads what: the owner every breach, a
tenant's administrator only their own tenant's part of breaches that concern it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.breaches import chain, notices
from functions.support.breaches.models import (
    BREACHES,
    AffectedPerson,
    AffectedTenant,
    Breach,
    BreachList,
    BreachNote,
    BreachUpdate,
    NewBreach,
    RegisterExport,
    TenantPart,
    UnknownTenant,
)
from shared import contracts, errors
from shared.events import EVENTS
from shared.ids import new_id
from shared.tenancy import TenantData

MAX_AUDIT_EVENTS = 20_000


def affected_people(tenant: TenantData, part: AffectedTenant) -> list[AffectedPerson]:
    """The clients whose data the access audit trail shows touched in the range and/or by
    the user (every event naming a client: reads, exports, changes)."""
    if part.audit_since is None and part.audit_until is None and part.audit_user_uid is None:
        return []
    query: Any = tenant.collection(EVENTS)
    if part.audit_since is not None:
        query = query.where(filter=FieldFilter("at", ">=", part.audit_since))
    if part.audit_until is not None:
        query = query.where(filter=FieldFilter("at", "<", part.audit_until))
    if part.audit_since is None and part.audit_until is None:
        query = query.where(filter=FieldFilter("actor", "==", part.audit_user_uid))
    counts: Counter[str] = Counter()
    for snapshot in query.limit(MAX_AUDIT_EVENTS).get():
        event = snapshot.to_dict() or {}
        if event.get("client_id") and part.audit_user_uid in (None, event.get("actor")):
            counts[str(event["client_id"])] += 1
    return [AffectedPerson(client_id=c, accesses=n) for c, n in sorted(counts.items())]


def notice_hours(tenant: TenantData) -> int:
    contract = contracts.load(tenant)
    return contract.dpa.breach_notice_hours if contract and contract.dpa else 24


def open_breach(db: firestore.Client, body: NewBreach, by: str, now: datetime) -> Breach:
    parts = []
    for affected in body.tenants:
        tenant = TenantData(db, affected.tenant_id)
        if not tenant.root.get().exists:
            raise UnknownTenant(f"No tenant {affected.tenant_id}")
        hours = notice_hours(tenant)
        parts.append(
            TenantPart(
                **affected.model_dump(include=set(TenantPart.model_fields)),
                people=affected_people(tenant, affected),
                notice_hours=hours,
                notice_due_at=body.aware_at + timedelta(hours=hours),
            )
        )
    breach = Breach(
        id=new_id("breach"),
        **body.model_dump(exclude={"tenants"}),
        recorded_by=by,
        tenant_ids=[p.tenant_id for p in parts],
        tenants=parts,
    )
    chain.append(
        db,
        breach_id=breach.id,
        tenant_ids=breach.tenant_ids,
        kind="opened",
        data=breach.model_dump(mode="json", exclude={"updates"}),
        by=by,
        at=now,
    )
    db.document(BREACHES, breach.id).set(breach.to_firestore())
    for part in breach.tenants:
        if part.notify:
            notices.schedule_reminders(breach, part)
    return get(db, breach.id)


def add_update(
    db: firestore.Client, breach_id: str, body: BreachUpdate, by: str, now: datetime
) -> Breach:
    breach = get(db, breach_id)
    if body.tenant_id is not None and body.tenant_id not in breach.tenant_ids:
        raise UnknownTenant(f"{body.tenant_id} is not affected by this breach")
    chain.append(
        db,
        breach_id=breach_id,
        tenant_ids=[body.tenant_id] if body.tenant_id else breach.tenant_ids,
        kind="update",
        data=body.model_dump(mode="json"),
        by=by,
        at=now,
    )
    return get(db, breach_id)


def get(db: firestore.Client, breach_id: str, tenant_id: str | None = None) -> Breach:
    """A breach with its updates; for a tenant only its own part (and 404 if none)."""
    snapshot = db.document(BREACHES, breach_id).get()
    if not snapshot.exists:
        raise errors.NotFound("No such breach")
    breach = Breach.model_validate(snapshot.to_dict())
    if tenant_id is not None and tenant_id not in breach.tenant_ids:
        raise errors.NotFound("No such breach")
    updates = []
    for body in chain.of_breach(db, breach_id):
        if body["kind"] != "update":
            continue
        if tenant_id is not None and body["data"].get("tenant_id") not in (None, tenant_id):
            continue
        at = datetime.fromisoformat(body["at"])
        updates.append(
            BreachNote(at=at, text=body["data"]["text"], measures=body["data"].get("measures"))
        )
    breach.updates = updates
    if tenant_id is not None:
        breach.tenant_ids = [tenant_id]
        breach.tenants = [p for p in breach.tenants if p.tenant_id == tenant_id]
    return breach


def listing(db: firestore.Client, tenant_id: str | None = None) -> BreachList:
    query: Any = db.collection(BREACHES)
    if tenant_id is not None:
        query = query.where(filter=FieldFilter("tenant_ids", "array_contains", tenant_id))
    ids = sorted((s.id for s in query.select([]).get()), reverse=True)
    return BreachList(breaches=[get(db, i, tenant_id) for i in ids])


def export(db: firestore.Client, now: datetime) -> RegisterExport:
    entries = chain.entries(db)
    return RegisterExport(entries=entries, verification=chain.verify(entries), exported_at=now)
