"""Reading everything of one tenant: its documents at any depth, objects and accounts.

Documents are found with one kindless `recursive()` query per collection of `tenants/{t}`,
which also finds documents below a parent that no longer exists (a plain `stream()` skips
those). Every read names the same `read_time`, which the Firestore emulator honours as
production does (a read at a past moment returns the documents as they were then), so a
backup is one consistent snapshot even while users write.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from google.cloud import firestore

from shared.principal import TENANT_CLAIM


def tenant_root(db: firestore.Client, tenant_id: str) -> firestore.DocumentReference:
    return db.collection("tenants").document(tenant_id)


def relative(root: firestore.DocumentReference, ref: firestore.DocumentReference) -> str:
    return "" if ref.path == root.path else ref.path[len(root.path) + 1 :]


def documents(
    db: firestore.Client, tenant_id: str, read_time: datetime | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path below the tenant, fields) of every existing document, the tenant's own first.

    One streamed kindless query per top-level collection (`recursive()`: every document
    at any depth below it, in path order, documents below a missing parent included)
    instead of a `collections()` call per document: a tenant of 20,000 documents costs a
    few round trips, not 20,000."""
    root = tenant_root(db, tenant_id)
    options: dict[str, Any] = {} if read_time is None else {"read_time": read_time}
    tenant = root.get(**options)
    if tenant.exists:
        yield "", tenant.to_dict() or {}
    for collection in root.collections(**options):
        for snapshot in collection.recursive().stream(**options):
            yield relative(root, snapshot.reference), snapshot.to_dict() or {}


def objects(bucket: Any, tenant_id: str) -> Iterator[Any]:
    """Every Storage object of the tenant (`<tenant>/...`), by name."""
    yield from bucket.list_blobs(prefix=f"{tenant_id}/")


def accounts(auth_app: Any, tenant_id: str) -> Iterator[dict[str, Any]]:
    """The Auth accounts whose tenant claim names the tenant: enough to sign in again."""
    from firebase_admin import auth

    for user in auth.list_users(app=auth_app).iterate_all():
        claims = user.custom_claims or {}
        if claims.get(TENANT_CLAIM) != tenant_id:
            continue
        yield {
            "uid": user.uid,
            "email": user.email,
            "email_verified": user.email_verified,
            "display_name": user.display_name,
            "phone_number": user.phone_number,
            "disabled": user.disabled,
            "custom_claims": claims,
            "mfa": second_factors(user),
        }


def second_factors(user: Any) -> list[dict[str, Any]]:
    """The account's enrolled SMS factors. firebase-admin for Python exposes none, so they
    are read from the record Identity Toolkit returned (`mfaInfo`)."""
    raw: dict[str, Any] = getattr(user, "_data", {}) or {}
    return [
        {
            "enrollment_id": f["mfaEnrollmentId"],
            "phone": f.get("unobfuscatedPhoneInfo") or f["phoneInfo"],
            "display_name": f.get("displayName"),
            "enrolled_at": f.get("enrolledAt"),
        }
        for f in raw.get("mfaInfo", [])
        if f.get("phoneInfo")
    ]
