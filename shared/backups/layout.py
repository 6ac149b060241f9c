"""Where a backup lives in the backups bucket, and its manifest.

    <tenant>/<YYYYMMDDTHHMMSSZ>/documents-00-00000.jsonl.gz  documents, PART_DOCUMENTS a
                                                             part, by range and number
    <tenant>/<stamp>/objects.jsonl.gz                       the Storage objects' index
    <tenant>/<stamp>/objects/<name below the tenant>        each object's bytes
    <tenant>/<stamp>/accounts.jsonl.gz                      the Auth accounts
    <tenant>/<stamp>/manifest.json                          written last: the backup is complete

A backup without its manifest is incomplete and never restored from. Work is done part by
part, so a later checkpoint needs only to remember the parts written.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from shared.models import Model

FORMAT_VERSION = 1
PART_DOCUMENTS = 500
MANIFEST = "manifest.json"
OBJECTS_INDEX = "objects.jsonl.gz"
ACCOUNTS = "accounts.jsonl.gz"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
STAMP = re.compile(r"^\d{8}T\d{6}Z$")
TENANT_DOCUMENT = "(tenant)"  # the collection key that counts the tenant's own document


class Part(Model):
    name: str  # below the backup's prefix
    sha256: str
    records: int
    # A document part's first document (path below the tenant): where the next backup
    # splits its ranges. None for other parts and in backups before 2 December 2026.
    first: str | None = None


class Manifest(Model):
    format_version: int
    tenant_id: str
    taken_at: datetime
    read_time: datetime  # every document was read as it was at this moment
    parts: list[Part]
    collections: dict[str, int]  # documents per collection path without ids
    objects: int
    accounts: int


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP_FORMAT)


def taken_at(backup_stamp: str) -> datetime:
    return datetime.strptime(backup_stamp, STAMP_FORMAT).replace(tzinfo=UTC)


def prefix(tenant_id: str, backup_stamp: str) -> str:
    return f"{tenant_id}/{backup_stamp}/"


def document_part(index: int, range_index: int = 0) -> str:
    """The part's name: by the range it was read in, then its number in that range
    (backups before 2 December 2026 were read in one range: `documents-00000.jsonl.gz`)."""
    return f"documents-{range_index:02d}-{index:05d}.jsonl.gz"


def collection_key(relative_path: str) -> str:
    """`clients/c1/courses/k1` counts under `clients/courses`; "" is the tenant document."""
    if not relative_path:
        return TENANT_DOCUMENT
    return "/".join(relative_path.split("/")[0::2])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def object_chunk(index: int) -> str:
    """A chunk of the objects' index while a backup runs (joined into OBJECTS_INDEX)."""
    return f"work/objects-{index:05d}.jsonl.gz"
