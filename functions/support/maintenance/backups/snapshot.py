"""Reading everything of one tenant: its documents at any depth, objects and accounts.

Documents are found with one kindless `recursive()` query per collection of `tenants/{t}`,
which also finds documents below a parent that no longer exists (a plain `stream()` skips
those). Every read names the same `read_time`, which the Firestore emulator honours as
production does (a read at a past moment returns the documents as they were then), so a
backup is one consistent snapshot even while users write.

`encoded` (what backups, restores and drills read) is one kindless query below the tenant
document, read as raw protobufs and encoded straight to the backup's tagged JSON; the
client library's snapshots (`documents`) cost twice the time of the read itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import grpc
from google.cloud import firestore
from google.cloud.firestore_v1.types import RunQueryRequest, RunQueryResponse
from google.protobuf.timestamp_pb2 import Timestamp  # type: ignore[import-untyped]

from shared.backups import codec
from shared.principal import TENANT_CLAIM

_RUN_QUERY = "/google.firestore.v1.Firestore/RunQuery"
# A stream broken by a transient error is asked again from after the last document read,
# as the client library's stream() does for its own queries.
_RETRIES = 3
_TRANSIENT = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL)


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


def encoded(
    db: firestore.Client, tenant_id: str, read_time: datetime | None = None
) -> Iterator[tuple[str, codec.Encoded]]:
    """(path below the tenant, codec.encode_fields of its fields) of every existing document,
    the tenant's own first, then in path order: what `documents` yields, encoded."""
    root = encoded_root(db, tenant_id, read_time)
    if root is not None:
        yield "", root
    yield from encoded_range(db, tenant_id, read_time)


def encoded_root(
    db: firestore.Client, tenant_id: str, read_time: datetime | None
) -> codec.Encoded | None:
    """The tenant document's encoded fields; None when it does not exist."""
    options: dict[str, Any] = {} if read_time is None else {"read_time": read_time}
    tenant = tenant_root(db, tenant_id).get(**options)
    return codec.encode_fields(tenant.to_dict() or {}) if tenant.exists else None


def encoded_range(
    db: firestore.Client,
    tenant_id: str,
    read_time: datetime | None,
    start: str | None = None,
    end: str | None = None,
    *,
    after: str | None = None,
) -> Iterator[tuple[str, codec.Encoded]]:
    """(path below the tenant, encoded fields) of every document below the tenant document
    from `start` (included) to `end` (excluded), or after `after` (excluded), in path
    order; None: from the first, to the last. The tenant document itself is not included.

    One kindless query (`all_descendants` and no collection id, below the tenant document:
    what the Node SDK's recursiveDelete runs) finds every document at any depth, below a
    missing parent too. It is sent on the client's own channel with the raw protobuf
    classes, so no proto-plus wrapper, Python value or copy is made per document."""
    documents = f"{db._database_string}/documents/"  # the client's own prefix
    root = f"{documents}tenants/{tenant_id}"
    request = _query(root, read_time)
    if end is not None:
        request.structured_query.end_at.values.add().reference_value = f"{root}/{end}"
        request.structured_query.end_at.before = True
    if start is not None and after is None:
        request.structured_query.start_at.values.add().reference_value = f"{root}/{start}"
        request.structured_query.start_at.before = True
    skip = len(root) + 1
    for document in _documents(db, request, None if after is None else f"{root}/{after}"):
        yield document.name[skip:], codec.encode_document(document.fields, documents)


def _query(root: str, read_time: datetime | None) -> Any:
    request = RunQueryRequest.pb()(parent=root)
    request.structured_query.from_.add().all_descendants = True
    request.structured_query.order_by.add().field.field_path = "__name__"
    if read_time is not None:
        stamp = Timestamp()
        stamp.FromDatetime(read_time)
        request.read_time.CopyFrom(stamp)
    return request


def _documents(db: firestore.Client, request: Any, after: str | None) -> Iterator[Any]:
    """The documents the RunQuery answers, after the document named `after` (if any). A
    stream broken by a transient error is asked again from after the last one yielded."""
    channel: grpc.Channel = db._firestore_api._transport.grpc_channel
    run_query = channel.unary_stream(
        _RUN_QUERY,
        request_serializer=RunQueryRequest.pb().SerializeToString,
        response_deserializer=RunQueryResponse.pb().FromString,
    )
    failures, last = 0, after
    while True:
        if last is not None:  # after the last document read
            cursor = request.structured_query.start_at
            cursor.Clear()
            cursor.values.add().reference_value = last
        try:
            for response in run_query(request, metadata=db._rpc_metadata):
                if response.HasField("document"):
                    yield response.document
                    last = response.document.name
            return
        except grpc.RpcError as error:
            failures += 1
            if error.code() not in _TRANSIENT or failures > _RETRIES:
                raise


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
