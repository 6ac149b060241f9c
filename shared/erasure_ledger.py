"""The erasure ledger: which clients and users of a tenant were erased, ids only.

A restore puts a tenant back as a backup found it; it must not bring back a client or a
user erased since (GDPR Art. 17). Each erasure adds an entry here in the same commit that
completes it, and a restore leaves out everything of every entry. The ledger lives outside
`tenants/{t}` (`erasure_ledger/{t}/entries/{kind}-{id}`), so a restore never rolls it back,
and holds no personal data, not even the id: the kind, a sha256 digest of tenant, kind and
id (a restore computes the digest of each id its backup holds) and the moment. So a scan of
the database for an erased client's id finds nothing.
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


class LedgerEntry(Model):
    kind: Erased
    digest: str
    erased_at: datetime


def digest(tenant_id: str, kind: Erased, id_: str) -> str:
    return hashlib.sha256(f"{tenant_id}/{kind.value}/{id_}".encode()).hexdigest()


def record(writer: Any, db: firestore.Client, tenant_id: str, kind: Erased, id_: str) -> None:
    """Add the entry in `writer` (a batch or transaction), so it commits with the erasure."""
    entry = LedgerEntry(kind=kind, digest=digest(tenant_id, kind, id_), erased_at=datetime.now(UTC))
    ref = db.collection(LEDGER, tenant_id, ENTRIES).document(entry.digest)
    writer.set(ref, entry.model_dump() | {"kind": kind.value})


def erased(db: firestore.Client, tenant_id: str) -> dict[Erased, set[str]]:
    """The digests of every id erased from the tenant, by kind."""
    found: dict[Erased, set[str]] = {kind: set() for kind in Erased}
    for snapshot in db.collection(LEDGER, tenant_id, ENTRIES).stream():
        entry = LedgerEntry.model_validate(snapshot.to_dict() or {})
        found[entry.kind].add(entry.digest)
    return found
