"""Restoring one tenant to a chosen backup, in place or to a new tenant id (M-2).

The backup is verified first (its manifest, every part's sha256). The erasure ledger is
applied to it: nothing of a client or user erased at any time comes back. Then the live
tenant is compared with what remains (the dry run stops here and reports, per
collection, what would be added, changed and deleted). A restore marks the tenant
`restoring_since` (its users get 503 `tenant_restoring`), deletes what the backup does
not hold, writes back what differs, puts the objects and accounts back and writes the
tenant document last, which ends the restore; the tenant's log records it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.backups.accounts import (
    AccountsRestored,
    restore_accounts,
    send_sign_in_again,
)
from functions.support.maintenance.backups.models import Changes, RestoreReport
from shared import erasure_ledger
from shared.backups import codec, layout
from shared.backups.errors import BackupCorrupt, TenantExists
from shared.backups.reading import backups_bucket, read_parts
from shared.client_data import CLIENT_RECORDS
from shared.clients import CLIENTS
from shared.erasure_ledger import Erased
from shared.events import record_event
from shared.faults import crash_point
from shared.messaging.models import MESSAGES
from shared.storage import uploads_bucket
from shared.tenancy import TenantData

BATCH_WRITES = 400
OBJECTS_PER_CHECKPOINT = 20
# Called between batches with the phase reached: the job renews its lease and records
# the phase there, and raises to stop (its deadline came). Restoring is convergent: a run
# that stopped anywhere is finished by planning again against what is live now.
Checkpoint = Callable[[str], None]
Progress = Callable[[str, int], None]


def _nothing(_what: str, _count: int = 0) -> None:
    return None


USERS = "users"
_ERASED_WITH_CLIENT = {r.collection for r in CLIENT_RECORDS if r.erased}


@dataclass
class Backup:
    """What a verified backup holds, with the erasure ledger applied."""

    documents: dict[str, codec.Encoded]
    objects: dict[str, dict[str, Any]]
    accounts: list[dict[str, Any]]
    left_out: int = 0


def _is_erased(
    path: str, fields: codec.Encoded, clients: set[str], users: set[str], emails: set[str]
) -> bool:
    segments = path.split("/")
    if len(segments) >= 2 and (
        (segments[0] == CLIENTS and segments[1] in clients)
        or (segments[0] == USERS and segments[1] in users)
    ):
        return True
    if len(segments) == 2 and segments[0] in _ERASED_WITH_CLIENT:
        if fields.get("client_id", {}).get("s") in clients:
            return True
        if segments[0] == MESSAGES:
            request = fields.get("request", {}).get("m", {})
            return request.get("to", {}).get("s") in emails
    return False


def load_backup(db: firestore.Client, tenant_id: str, backup_stamp: str) -> Backup:
    _, parts = read_parts(tenant_id, backup_stamp)
    ledger = erasure_ledger.erased(db, tenant_id)
    accounts = list(codec.unpack(parts[layout.ACCOUNTS]))
    documents = {
        line["path"]: line["fields"]
        for name, data in parts.items()
        if name.startswith("documents-")
        for line in codec.unpack(data)
    }
    index = list(codec.unpack(parts[layout.OBJECTS_INDEX]))
    names = [*documents, *(line["name"] for line in index)]
    client_ids = {n.split("/")[1] for n in names if n.startswith(CLIENTS + "/")}
    client_ids |= {f["client_id"]["s"] for f in documents.values() if "s" in f.get("client_id", {})}
    user_ids = {n.split("/")[1] for n in names if n.startswith(USERS + "/")}
    user_ids |= {a["uid"] for a in accounts}

    def erased(kind: Erased, ids: set[str]) -> set[str]:
        return {i for i in ids if erasure_ledger.digest(tenant_id, kind, i) in ledger[kind]}

    clients, users = erased(Erased.CLIENT, client_ids), erased(Erased.USER, user_ids)
    emails = {a["email"] for a in accounts if a["uid"] in users}
    emails |= {
        fields["email"]["s"]
        for path, fields in documents.items()
        if path.startswith(USERS + "/")
        and path.count("/") == 1
        and path.split("/")[1] in users
        and "s" in fields.get("email", {})
    }
    kept = {p: f for p, f in documents.items() if not _is_erased(p, f, clients, users, emails)}
    erased_prefixes = tuple(f"{CLIENTS}/{c}/" for c in clients) + tuple(
        f"{USERS}/{u}/" for u in users
    )
    objects = {line["name"]: line for line in index if not line["name"].startswith(erased_prefixes)}
    kept_accounts = [a for a in accounts if a["uid"] not in users]
    left_out = len(documents) - len(kept)
    return Backup(kept, objects, kept_accounts, left_out)


def _changes(report: RestoreReport, key: str) -> Changes:
    return report.collections.setdefault(key, Changes())


def plan(
    db: firestore.Client, backup: Backup, target: str
) -> tuple[RestoreReport, dict[str, codec.Encoded], dict[str, Any]]:
    """What the restore would change, the live documents and the live objects."""
    report = RestoreReport(left_out_erased=backup.left_out)
    live = dict(snapshot.encoded(db, target))
    for path, fields in backup.documents.items():
        if path not in live:
            _changes(report, layout.collection_key(path)).added += 1
        elif live[path] != fields:
            _changes(report, layout.collection_key(path)).changed += 1
    for path in live.keys() - backup.documents.keys():
        _changes(report, layout.collection_key(path)).deleted += 1
    live_objects = {
        b.name[len(target) + 1 :]: b for b in snapshot.objects(uploads_bucket(), target)
    }
    for name, entry in backup.objects.items():
        if name not in live_objects:
            report.objects.added += 1
        elif live_objects[name].md5_hash != entry.get("md5"):
            report.objects.changed += 1
    report.objects.deleted = len(live_objects.keys() - backup.objects.keys())
    return report, live, live_objects


def _commit(
    db: firestore.Client,
    writes: Iterator[tuple[str, Any]],
    checkpoint: Checkpoint,
    progress: Progress,
) -> None:
    batch, size = db.batch(), 0
    for path, fields in writes:
        ref = db.document(path)
        if fields is None:
            batch.delete(ref)
        else:
            batch.set(ref, fields)
        size += 1
        if size == BATCH_WRITES:
            batch.commit()
            crash_point("restore.batch.committed")
            progress("documents", size)
            checkpoint("documents")
            batch, size = db.batch(), 0
    if size:
        batch.commit()
        crash_point("restore.batch.committed")
        progress("documents", size)
        checkpoint("documents")


def restore_tenant(
    db: firestore.Client,
    tenant_id: str,
    backup_stamp: str,
    *,
    target: str | None = None,
    dry_run: bool = False,
    actor: str = "owner",
    resuming: bool = False,
    checkpoint: Checkpoint = _nothing,
    progress: Progress = _nothing,
    event_id: str | None = None,
    details: dict[str, Any] | None = None,
    on_plan: Callable[[RestoreReport], None] | None = None,
    created_before: Collection[str] = (),
    remember_created: Callable[[str], None] = _nothing,
) -> RestoreReport:
    """Restore `tenant_id`'s backup `backup_stamp` into `target` (default: itself).

    A job passes `checkpoint` (called between batches), `resuming` once it started writing
    (a target it half filled is not "a tenant that exists"), an `event_id` so the log
    entry is written once however often it runs, `details` for that entry, and `on_plan`
    to keep the plan before anything is written; `remember_created` is told each account
    about to be created again, and a resumed run passes them back as `created_before`."""
    target_id = target or tenant_id
    backup = load_backup(db, tenant_id, backup_stamp)
    report, live, live_objects = plan(db, backup, target_id)
    report.backup, report.tenant_id, report.target_tenant_id = backup_stamp, tenant_id, target_id
    report.dry_run = dry_run
    if target_id != tenant_id and live and not resuming:
        raise TenantExists()
    if dry_run:
        return report
    if on_plan is not None:
        on_plan(report)
    root = snapshot.tenant_root(db, target_id)
    root.set({"restoring_since": datetime.now(UTC)}, merge=True)
    crash_point("restore.marked")
    checkpoint("marked")
    base = root.path + "/"

    def reference(path: str) -> Any:
        return db.document(path)

    gone = sorted(p for p in live.keys() - backup.documents.keys() if p)
    _commit(db, ((base + p, None) for p in gone), checkpoint, progress)
    _commit(
        db,
        (
            (base + p, codec.decode_fields(f, reference))
            for p, f in sorted(backup.documents.items())
            if p and live.get(p) != f
        ),
        checkpoint,
        progress,
    )
    _restore_objects(backup, tenant_id, backup_stamp, target_id, live_objects, checkpoint, progress)
    checkpoint("objects")
    accounts = AccountsRestored()
    if target_id == tenant_id:
        accounts = restore_accounts(tenant_id, backup.accounts, on_create=remember_created)
        report.accounts = accounts.changed
        progress("accounts", report.accounts)
        checkpoint("accounts")
    if "" in backup.documents:
        root.set(codec.decode_fields(backup.documents[""], reference))
    else:
        root.delete()
    crash_point("restore.root.written")
    # After the tenant document: the restore is over, so the mail is sent and its link works.
    # A run resumed after a crash knows from `created_before` whom the dead run re-created.
    created = {a["uid"] for a in accounts.created} | set(created_before)
    report.accounts_told = send_sign_in_again(
        TenantData(db, target_id),
        [a for a in backup.accounts if a["uid"] in created],
        message_key=event_id or backup_stamp,
    )
    record_event(
        TenantData(db, target_id),
        actor=actor,
        action="tenant.restored",
        subject="tenant",
        details={"backup": backup_stamp, "from_tenant": tenant_id, "left_out": backup.left_out}
        | (details or {}),
        event_id=event_id,
    )
    crash_point("restore.event.recorded")
    return report


def _restore_objects(
    backup: Backup,
    source: str,
    backup_stamp: str,
    target: str,
    live: dict[str, Any],
    checkpoint: Checkpoint,
    progress: Progress,
) -> None:
    uploads = uploads_bucket()
    for name in live.keys() - backup.objects.keys():
        live[name].delete()
    base = layout.prefix(source, backup_stamp) + "objects/"
    put = 0
    for name, entry in sorted(backup.objects.items()):
        if name in live and live[name].md5_hash == entry.get("md5"):
            continue
        if put and put % OBJECTS_PER_CHECKPOINT == 0:
            checkpoint("objects")
        data = backups_bucket().blob(base + name).download_as_bytes()
        if layout.sha256(data) != entry["sha256"]:
            raise BackupCorrupt(f"Object {name} does not match its checksum")
        blob = uploads.blob(f"{target}/{name}")
        blob.metadata = entry["metadata"] or None
        blob.upload_from_string(data, content_type=entry["content_type"])
        crash_point("restore.object.put")
        progress("objects", 1)
        put += 1
