"""The owner's list of a tenant's complete backups, with their counts and stored size."""

from __future__ import annotations

from collections import Counter

from functions.support.maintenance.backups import layout
from functions.support.maintenance.backups.backup import backups_bucket, load_manifest
from functions.support.maintenance.backups.models import BackupSummary


def list_backups(tenant_id: str) -> list[BackupSummary]:
    sizes: Counter[str] = Counter()
    complete = set()
    for blob in backups_bucket().list_blobs(prefix=f"{tenant_id}/"):
        parts = blob.name.split("/")
        if len(parts) < 3 or not layout.STAMP.match(parts[1]):
            continue
        sizes[parts[1]] += int(blob.size or 0)
        if len(parts) == 3 and parts[2] == layout.MANIFEST:
            complete.add(parts[1])
    summaries = []
    for backup_stamp in sorted(complete):
        manifest = load_manifest(tenant_id, backup_stamp)
        if manifest is None:  # deleted since the listing
            continue
        summaries.append(
            BackupSummary(
                stamp=backup_stamp,
                taken_at=manifest.taken_at,
                collections=manifest.collections,
                documents=sum(manifest.collections.values()),
                objects=manifest.objects,
                accounts=manifest.accounts,
                size_bytes=sizes[backup_stamp],
            )
        )
    return summaries
