"""Tenant-scoped Firestore access: the one chokepoint for server-side tenant data.

Server code runs with admin rights, so rules do not protect it. Every read and
write of tenant data goes through a TenantData, which can only build paths
below `tenants/{tenant_id}/`; path segments are validated so a caller-supplied
id cannot climb out of, or reach across, that subtree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.cloud import firestore

TENANTS = "tenants"
# A tenant id is its slug: a DNS label (the tenant is served at <slug>.trivsel.dk).
TENANT_ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# Ids below a tenant: letters, digits, '-' and '_' (auto ids and our own keys fit).
SEGMENT_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def is_reserved(segment: str) -> bool:
    """Firestore reserves ids of the form `__name__`; no record of ours has one."""
    return segment.startswith("__") and segment.endswith("__") and len(segment) >= 4


class InvalidPath(ValueError):
    """A path segment that could address something outside the tenant's subtree."""


def check_tenant_id(tenant_id: str) -> str:
    if not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise InvalidPath(f"not a tenant id: {tenant_id!r}")
    return tenant_id


def check_segments(segments: tuple[str, ...]) -> tuple[str, ...]:
    if not segments:
        raise InvalidPath("empty path")
    for segment in segments:
        if (
            not isinstance(segment, str)
            or not SEGMENT_PATTERN.fullmatch(segment)
            or is_reserved(segment)
        ):
            raise InvalidPath(f"not a valid path segment: {segment!r}")
    return segments


class TenantData:
    """Firestore, seen from inside one tenant."""

    def __init__(self, db: firestore.Client, tenant_id: str) -> None:
        self._db = db
        self.tenant_id = check_tenant_id(tenant_id)
        self._kept: dict[str, Any] = {}
        # What one request works out once about this tenant (e.g. its data key).
        self.memo: dict[str, Any] = {}

    def keep(self, snapshots: dict[str, Any]) -> None:
        """Documents read already for this request (with the caller's authority)."""
        self._kept.update(snapshots)

    def read(self, ref: firestore.DocumentReference) -> Any:
        """A document's snapshot: the one read for this request if there is one (once:
        a second read, e.g. after a write, goes to Firestore), else a fresh read."""
        kept = self._kept.pop(ref.path, None)
        return kept if kept is not None else ref.get()

    @property
    def db(self) -> firestore.Client:
        """The client, for transactions and batches over this tenant's references."""
        return self._db

    @property
    def root(self) -> firestore.DocumentReference:
        """The tenant's own document, `tenants/{tenant_id}`."""
        return self._db.collection(TENANTS).document(self.tenant_id)

    def collection(self, *segments: str) -> firestore.CollectionReference:
        """`collection("clients")` is `tenants/{tenant_id}/clients`."""
        check_segments(segments)
        if len(segments) % 2 != 1:
            raise InvalidPath("a collection path has an odd number of segments")
        return self._db.collection(TENANTS, self.tenant_id, *segments)

    def document(self, *segments: str) -> firestore.DocumentReference:
        """`document("clients", cid)` is `tenants/{tenant_id}/clients/{cid}`."""
        check_segments(segments)
        if len(segments) % 2 != 0:
            raise InvalidPath("a document path has an even number of segments")
        return self._db.document(TENANTS, self.tenant_id, *segments)
