"""The register's hash chain: each entry's hash is sha256 over its canonical JSON (sorted
keys, no spaces, UTF-8) followed by the previous entry's hash, so changing, removing or
reordering any stored entry breaks every hash after it. Entries are only appended, in a
transaction on the chain's head; no route updates or deletes one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from google.cloud import firestore

from functions.support.breaches.models import HEAD, REGISTER, RegisterEntry, Verification

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(body: str, prev_hash: str) -> str:
    return hashlib.sha256((body + prev_hash).encode()).hexdigest()


def seal(
    seq: int, breach_id: str, tenant_ids: list[str], body: dict[str, Any], prev: str
) -> RegisterEntry:
    text = canonical({**body, "seq": seq, "breach_id": breach_id, "tenant_ids": tenant_ids})
    return RegisterEntry(
        seq=seq,
        breach_id=breach_id,
        tenant_ids=tenant_ids,
        body=text,
        prev_hash=prev,
        hash=entry_hash(text, prev),
    )


def verify(entries: Iterable[RegisterEntry]) -> Verification:
    """Walk the chain from its first entry: every link, hash and indexed field must hold."""
    prev, count = GENESIS, 0
    for expected, entry in enumerate(entries, start=1):
        count += 1
        reason = None
        try:
            body = json.loads(entry.body)
        except ValueError:
            body = {}
        if entry.seq != expected:
            reason = "an entry is missing or out of order"
        elif entry.prev_hash != prev:
            reason = "the link to the previous entry is broken"
        elif entry.hash != entry_hash(entry.body, entry.prev_hash):
            reason = "the entry's hash does not match its content"
        elif (body.get("seq"), body.get("breach_id"), body.get("tenant_ids")) != (
            entry.seq,
            entry.breach_id,
            entry.tenant_ids,
        ):
            reason = "the stored fields differ from the hashed content"
        if reason:
            return Verification(ok=False, entries=count, first_bad_seq=entry.seq, reason=reason)
        prev = entry.hash
    return Verification(ok=True, entries=count)


def append(
    db: firestore.Client,
    *,
    breach_id: str,
    tenant_ids: list[str],
    kind: str,
    data: dict[str, Any],
    by: str,
    at: datetime,
) -> RegisterEntry:
    head_ref = db.document(*HEAD)

    @firestore.transactional
    def add(transaction: firestore.Transaction) -> RegisterEntry:
        head = head_ref.get(transaction=transaction).to_dict() or {}
        seq = int(head.get("seq", 0)) + 1
        body = {"kind": kind, "at": at.isoformat(), "recorded_by": by, "data": data}
        entry = seal(seq, breach_id, tenant_ids, body, str(head.get("hash", GENESIS)))
        transaction.create(db.collection(REGISTER).document(f"{seq:010d}"), entry.model_dump())
        transaction.set(head_ref, {"seq": seq, "hash": entry.hash})
        return entry

    entry: RegisterEntry = add(db.transaction())
    return entry


def entries(db: firestore.Client) -> list[RegisterEntry]:
    return [
        RegisterEntry.model_validate(s.to_dict())
        for s in db.collection(REGISTER).order_by("seq").get()
    ]


def of_breach(db: firestore.Client, breach_id: str) -> list[dict[str, Any]]:
    """The hashed bodies of one breach's entries, in order (for its updates)."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = db.collection(REGISTER).where(filter=FieldFilter("breach_id", "==", breach_id))
    found = sorted(
        (RegisterEntry.model_validate(s.to_dict()) for s in query.get()), key=lambda e: e.seq
    )
    return [json.loads(e.body) for e in found]
