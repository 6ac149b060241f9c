"""Bringing one client back from a backup, without rolling anything else back.

A professional who deleted a client by mistake asks the tenant's administrator, who
restores that one client from a chosen backup (backups live 30 days). What belongs to a
client is what erasure takes (shared/client_data.py): the client's document and every
document below it (its courses, at any depth), the documents of CLIENT_RECORDS that
carry its `client_id` (calendar, client log, remote tasks, messages, its data-subject
requests) and its files under `<tenant>/clients/<id>/`. Only what is missing live is
written, so nothing that exists now is overwritten. The files go first and the client's
document last, in one commit with the removal of its ledger entry and the
`client.restored` log entry: an interrupted restore shows no client, and running it
again finishes it (what was written already is skipped).

An erasure at the data subject's request or by retention is final (`client_erased`):
the erasure ledger's basis says so, and so does the register when it holds an erasure
request for the client that was not refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.api_core.exceptions import AlreadyExists

from functions.clients.gdpr import erasure_basis
from shared import erasure_ledger, errors
from shared.backups import codec, layout
from shared.backups.errors import BackupCorrupt, BackupNotFound
from shared.backups.reading import backup_stamps, backups_bucket, read_parts
from shared.client_data import CLIENT_RECORDS, files_prefix
from shared.clients import CLIENTS, ClientErased
from shared.erasure_ledger import RESTORABLE, Erased, ErasureBasis
from shared.events import new_event
from shared.principal import Principal
from shared.storage import uploads_bucket
from shared.tenancy import TenantData

BATCH_WRITES = 400
_RECORD_COLLECTIONS = frozenset(r.collection for r in CLIENT_RECORDS)
# An erasure's marker, if the backup caught one under way: the restored client is live.
_MARKER_FIELDS = ("erasing", "erasure_id", "erasing_since", "erasing_by", "erasing_basis")


class ClientExists(errors.ApiError):
    status, code = 409, "client_exists"
    title = "The client exists; only a deleted client can be restored"


class ClientNotInBackup(errors.ApiError):
    status, code, title = 404, "client_not_in_backup", "That backup does not hold the client"


REFUSALS = [BackupNotFound, BackupCorrupt, ClientNotInBackup, ClientExists, ClientErased]


@dataclass(frozen=True)
class ClientInBackup:
    documents: dict[str, codec.Encoded]  # path below the tenant -> encoded fields
    objects: list[dict[str, Any]]  # index entries, names below the tenant


def _belongs(path: str, fields: codec.Encoded, client_id: str) -> bool:
    segments = path.split("/")
    if segments[:2] == [CLIENTS, client_id]:
        return True
    return (
        len(segments) == 2
        and segments[0] in _RECORD_COLLECTIONS
        and fields.get("client_id") == {"s": client_id}
    )


def client_in_backup(tenant_id: str, backup_stamp: str, client_id: str) -> ClientInBackup | None:
    """The client's documents and files in the backup (verified); None if it has no client."""
    _, parts = read_parts(tenant_id, backup_stamp)
    documents = {
        line["path"]: line["fields"]
        for name, data in parts.items()
        if name.startswith("documents-")
        for line in codec.unpack(data)
        if _belongs(line["path"], line["fields"], client_id)
    }
    if f"{CLIENTS}/{client_id}" not in documents:
        return None
    prefix = f"{CLIENTS}/{client_id}/"
    index = codec.unpack(parts[layout.OBJECTS_INDEX])
    return ClientInBackup(documents, [e for e in index if e["name"].startswith(prefix)])


def backups_holding(tenant: TenantData, client_id: str) -> list[str]:
    """The tenant's backups that hold the client, newest first. Each backup's parts are
    read (a manifest lists no clients); an administrator asks this seldom."""
    return [
        stamp
        for stamp in reversed(backup_stamps(tenant.tenant_id))
        if client_in_backup(tenant.tenant_id, stamp, client_id) is not None
    ]


def _check_restorable(tenant: TenantData, client_id: str) -> None:
    if tenant.document(CLIENTS, client_id).get().exists:
        raise ClientExists()
    erased = erasure_ledger.entry(tenant.db, tenant.tenant_id, Erased.CLIENT, client_id)
    if erased is not None and erased.basis not in RESTORABLE:
        raise ClientErased()
    if erasure_basis(tenant, client_id) is ErasureBasis.DATA_SUBJECT_REQUEST:
        raise ClientErased("The register holds the data subject's request for erasure")


@dataclass(frozen=True)
class Restored:
    documents: int
    files: int


def restore_client(
    me: Principal, tenant: TenantData, client_id: str, backup_stamp: str
) -> Restored:
    _check_restorable(tenant, client_id)
    found = client_in_backup(tenant.tenant_id, backup_stamp, client_id)
    if found is None:
        raise ClientNotInBackup()
    files = _restore_files(tenant, client_id, backup_stamp, found.objects)
    client_path = f"{CLIENTS}/{client_id}"
    refs = {path: tenant.document(*path.split("/")) for path in found.documents}
    live = {s.reference.path for s in tenant.db.get_all(list(refs.values())) if s.exists}
    missing = [p for p in found.documents if refs[p].path not in live and p != client_path]

    def decoded(path: str) -> dict[str, Any]:
        return codec.decode_fields(found.documents[path], tenant.db.document)

    for start in range(0, len(missing), BATCH_WRITES):
        batch = tenant.db.batch()
        for path in missing[start : start + BATCH_WRITES]:
            batch.set(refs[path], decoded(path))
        batch.commit()
    client = {k: v for k, v in decoded(client_path).items() if k not in _MARKER_FIELDS}
    batch = tenant.db.batch()
    batch.create(refs[client_path], client)  # a restore racing another: one wins
    erasure_ledger.forget(batch, tenant.db, tenant.tenant_id, Erased.CLIENT, client_id)
    restored = Restored(documents=len(missing) + 1, files=files)
    batch.create(
        *new_event(
            tenant,
            actor=me.uid,
            action="client.restored",
            subject=client_path,
            client_id=client_id,
            details={"backup": backup_stamp, "documents": restored.documents, "files": files},
        )
    )
    try:
        batch.commit()
    except AlreadyExists:  # another restore of the client won the race
        raise ClientExists() from None
    return restored


def _restore_files(
    tenant: TenantData, client_id: str, backup_stamp: str, entries: list[dict[str, Any]]
) -> int:
    """Copy the client's files back (checked against the index); those live are kept."""
    uploads = uploads_bucket()
    base = layout.prefix(tenant.tenant_id, backup_stamp) + "objects/"
    live = {b.name for b in uploads.list_blobs(prefix=files_prefix(tenant, client_id))}
    copied = 0
    for entry in entries:
        target = f"{tenant.tenant_id}/{entry['name']}"
        if target in live:
            continue
        data = backups_bucket().blob(base + entry["name"]).download_as_bytes()
        if layout.sha256(data) != entry["sha256"]:
            raise BackupCorrupt("A file of the client does not match its checksum")
        blob = uploads.blob(target)
        blob.metadata = entry["metadata"] or None
        blob.upload_from_string(data, content_type=entry["content_type"])
        copied += 1
    return copied
