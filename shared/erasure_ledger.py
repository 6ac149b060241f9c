"""The erasure ledger: which clients and users of a tenant were erased, ids only.

A restore puts a tenant back as a backup found it; it must not bring back a client or a
user erased since (GDPR Art. 17). Each erasure adds an entry here in the same commit that
completes it, and a restore leaves out everything of every entry. The ledger lives outside
`tenants/{t}` (`erasure_ledger/{t}/entries/{kind}-{id}`), so a restore never rolls it back,
and holds no personal data, not even the id: the kind, a sha256 digest of tenant, kind and
id (a restore computes the digest of each id its backup holds) and the moment. So a scan of
the database for an erased client's id finds nothing.

Each client entry records its basis. An erasure at the data subject's request (GDPR
Art. 17) or by retention is final: nothing brings that client back. One a professional
made (an ordinary DELETE, perhaps by mistake) may be undone by the tenant's administrator
from a backup, while backups live (30 days): restoring that one client removes its entry
(functions/clients/client_restore.py). A whole-tenant restore never brings back any
erased client, whatever the basis. An entry without a basis (written before bases were
recorded, or by an unknown path) counts as final.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from google.cloud import firestore

from shared.models import Model

LEDGER = "erasure_ledger"
ENTRIES = "entries"


class Erased(StrEnum):
    CLIENT = "client"
    USER = "user"


class ErasureBasis(StrEnum):
    DATA_SUBJECT_REQUEST = "data_subject_request"  # final
    RETENTION = "retention"  # final
    STAFF_DELETION = "staff_deletion"  # may be undone from a backup


RESTORABLE = frozenset({ErasureBasis.STAFF_DELETION})


class LedgerEntry(Model):
    kind: Erased
    digest: str
    erased_at: datetime
    basis: ErasureBasis | None = None


def _ref(db: firestore.Client, tenant_id: str, kind: Erased, id_: str) -> Any:
    return db.collection(LEDGER, tenant_id, ENTRIES).document(digest(tenant_id, kind, id_))


def reference(db: firestore.Client, tenant_id: str, kind: Erased, id_: str) -> Any:
    """The entry's document, to read in one round trip with others (offline sync)."""
    return _ref(db, tenant_id, kind, id_)


def digest(tenant_id: str, kind: Erased, id_: str) -> str:
    return hashlib.sha256(f"{tenant_id}/{kind.value}/{id_}".encode()).hexdigest()


def record(
    writer: Any,
    db: firestore.Client,
    tenant_id: str,
    kind: Erased,
    id_: str,
    basis: ErasureBasis | None = None,
) -> None:
    """Add the entry in `writer` (a batch or transaction), so it commits with the erasure."""
    entry = LedgerEntry(
        kind=kind, digest=digest(tenant_id, kind, id_), erased_at=datetime.now(UTC), basis=basis
    )
    writer.set(
        _ref(db, tenant_id, kind, id_),
        entry.model_dump(mode="json") | {"erased_at": entry.erased_at},
    )


def entry(db: firestore.Client, tenant_id: str, kind: Erased, id_: str) -> LedgerEntry | None:
    """The entry of one id, if it was erased."""
    snapshot = _ref(db, tenant_id, kind, id_).get()
    return LedgerEntry.model_validate(snapshot.to_dict()) if snapshot.exists else None


def forget(writer: Any, db: firestore.Client, tenant_id: str, kind: Erased, id_: str) -> None:
    """Remove the entry in `writer`: the id was brought back (a restorable erasure undone)."""
    writer.delete(_ref(db, tenant_id, kind, id_))


def erased(db: firestore.Client, tenant_id: str) -> dict[Erased, set[str]]:
    """The digests of every id erased from the tenant, by kind."""
    found: dict[Erased, set[str]] = {kind: set() for kind in Erased}
    for snapshot in db.collection(LEDGER, tenant_id, ENTRIES).stream():
        entry = LedgerEntry.model_validate(snapshot.to_dict() or {})
        found[entry.kind].add(entry.digest)
    return found
