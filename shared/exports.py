"""Where whole-tenant export archives live: `<tenant>/<job id>.zip` in the exports bucket.

The bucket's lifecycle rule deletes an archive 8 days after it was written; the download
route refuses it after EXPORT_LIFETIME (7 days), and the deletion of a terminated tenant
deletes its archives at once (functions/support/maintenance/tenant_deletion.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from shared.gcp import storage_client
from shared.settings import get_settings

EXPORT_LIFETIME = timedelta(days=7)


def exports_bucket() -> Any:
    return storage_client().bucket(get_settings().exports_bucket)


def archive_name(tenant_id: str, job_id: str) -> str:
    return f"{tenant_id}/{job_id}.zip"


def export_archives(tenant_id: str) -> Iterator[Any]:
    yield from exports_bucket().list_blobs(prefix=f"{tenant_id}/")


def json_list(name: str, rows: Iterable[Any], *, first: bool = False) -> Iterator[str]:
    """`"name": [row, ...]` as JSON text, one chunk per row (an export streamed as it is
    read, so memory stays bounded); preceded by a comma unless it is the first member."""
    yield ("" if first else ", ") + json.dumps(name) + ": ["
    for index, row in enumerate(rows):
        yield (", " if index else "") + json.dumps(row, ensure_ascii=False)
    yield "]"


def json_object(head: dict[str, Any], parts: Iterable[tuple[str, Iterable[Any]]]) -> Iterator[str]:
    """The JSON text of `head` with each named list of `parts` added, written as read."""
    yield json.dumps(head, ensure_ascii=False)[:-1]
    first = not head
    for name, rows in parts:
        yield from json_list(name, rows, first=first)
        first = False
    yield "}"
