"""Listing a tenant's backups and reading one, every part checked against the manifest."""

from __future__ import annotations

import json
from typing import Any

from google.api_core.exceptions import NotFound

from shared.backups import layout
from shared.backups.errors import BackupCorrupt, BackupIncomplete, BackupNotFound
from shared.backups.layout import Manifest
from shared.gcp import storage_client
from shared.settings import get_settings


def backups_bucket() -> Any:
    return storage_client().bucket(get_settings().backups_bucket)


def backup_stamps(tenant_id: str) -> list[str]:
    """The tenant's complete backups (those with a manifest), oldest first."""
    names = (b.name for b in backups_bucket().list_blobs(prefix=f"{tenant_id}/"))
    stamps = {
        name.split("/")[1]
        for name in names
        if name.count("/") == 2 and name.endswith("/" + layout.MANIFEST)
    }
    return sorted(s for s in stamps if layout.STAMP.match(s))


def load_manifest(tenant_id: str, backup_stamp: str) -> Manifest | None:
    """The backup's manifest; None when the backup does not exist or is incomplete."""
    if not layout.STAMP.match(backup_stamp):
        return None
    blob = backups_bucket().blob(layout.prefix(tenant_id, backup_stamp) + layout.MANIFEST)
    try:
        return Manifest.model_validate(json.loads(blob.download_as_bytes()))
    except NotFound:
        return None


def read_parts(tenant_id: str, backup_stamp: str) -> tuple[Manifest, dict[str, bytes]]:
    """The manifest and every part's bytes, each checked against its sha256."""
    manifest = load_manifest(tenant_id, backup_stamp)
    base = layout.prefix(tenant_id, backup_stamp)
    if manifest is None:
        if layout.STAMP.match(backup_stamp) and any(
            True for _ in backups_bucket().list_blobs(prefix=base, max_results=1)
        ):
            raise BackupIncomplete()
        raise BackupNotFound()
    parts = {}
    for part in manifest.parts:
        data = backups_bucket().blob(base + part.name).download_as_bytes()
        if layout.sha256(data) != part.sha256:
            raise BackupCorrupt(f"Part {part.name} does not match its checksum")
        parts[part.name] = data
    return manifest, parts
