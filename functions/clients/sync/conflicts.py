"""Conflicts of offline work: listed for the professional, resolved by keep mine / theirs.

A conflict is an offline change to a client's field that was edited online after the
value the device read. Neither value was lost: the client log has both (the
`client.sync_conflict` entry); resolving writes the value kept and logs the choice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients.clients import Pseudonymised
from functions.clients.sync.models import Conflict, ConflictList, Resolution
from shared import errors
from shared.clients import CLIENTS, load_for_change
from shared.events import new_event
from shared.offline import SYNC_CONFLICTS
from shared.principal import Principal, Role
from shared.tenancy import TenantData


def open_conflicts(me: Principal, data: TenantData) -> ConflictList:
    """The caller's open conflicts; the administrator sees every professional's."""
    query: Any = data.collection(SYNC_CONFLICTS).where(filter=FieldFilter("status", "==", "open"))
    if me.role is not Role.ADMIN:
        query = query.where(filter=FieldFilter("professional", "==", me.uid))
    found = [Conflict.model_validate({"id": s.id, **(s.to_dict() or {})}) for s in query.stream()]
    return ConflictList(conflicts=sorted(found, key=lambda c: c.created_at))


def resolve(me: Principal, data: TenantData, conflict_id: str, choice: Resolution) -> Conflict:
    ref = data.document(SYNC_CONFLICTS, conflict_id)
    now = datetime.now(UTC)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> dict[str, Any]:
        snapshot = ref.get(transaction=transaction)
        doc = snapshot.to_dict() if snapshot.exists else None
        # Another professional's conflict is not theirs to see: as if it did not exist.
        if doc is None or (me.role is not Role.ADMIN and doc["professional"] != me.uid):
            raise errors.NotFound("No such conflict")
        if doc["status"] != "open":
            raise errors.InvalidTransition("The conflict is resolved already")
        client = data.document(CLIENTS, doc["client_id"])
        current = load_for_change(data, doc["client_id"], transaction)
        if choice.keep == "mine" and current.get("pseudonymised"):
            # Its profile is sealed: the value from before would unseal it (keep theirs).
            raise Pseudonymised("A pseudonymised client's data is not changed offline")
        kept = doc["mine"] if choice.keep == "mine" else doc["theirs"]
        if choice.keep == "mine":
            transaction.update(client, {f"profile.{doc['field']}": kept, "updated_at": now})
        status = "kept_mine" if choice.keep == "mine" else "kept_theirs"
        transaction.update(ref, {"status": status, "resolved_by": me.uid, "resolved_at": now})
        transaction.create(
            *new_event(
                data,
                actor=me.uid,
                action="client.sync_conflict_resolved",
                subject=f"{CLIENTS}/{doc['client_id']}",
                client_id=doc["client_id"],
                details={"conflict_id": conflict_id, "field": doc["field"], "kept": choice.keep},
            )
        )
        return doc | {"status": status}

    doc = apply(data.db.transaction())
    return Conflict.model_validate({"id": conflict_id, **doc})
