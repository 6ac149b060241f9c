"""Where a client's data lives: one registry for GDPR export and erasure (SPEC C-7).

Every record that holds data about a client carries its `client_id`, in one of the
tenant's collections listed in CLIENT_RECORDS, or below the client's own document
(its courses), or in Storage under `<tenant>/clients/<client id>/`. Export and
erasure work from this table alone, so the clients area erases remote tasks and
their e-mails without knowing the area that wrote them. A new area that stores
client data adds its collections here (and a test proves erasure finds them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.clients import CLIENTS, COURSES
from shared.courses import CALENDAR
from shared.events import EVENTS
from shared.messaging.models import MESSAGES
from shared.tenancy import TenantData

REMOTE_TASKS = "remote_tasks"
BATCH_WRITES = 400  # a Firestore batch holds at most 500 writes


@dataclass(frozen=True)
class ClientRecords:
    collection: str  # below tenants/{t}; each document carries `client_id`
    holds: str  # what, in words (README and the export's index)


CLIENT_RECORDS: tuple[ClientRecords, ...] = (
    ClientRecords(CALENDAR, "exercises planned for a date"),
    ClientRecords(EVENTS, "the client log: who did what, and when"),
    ClientRecords(REMOTE_TASKS, "exercises sent to contact persons, with their answers"),
    ClientRecords(MESSAGES, "e-mails and SMS about the client, with their recipients"),
)


def plain(value: Any) -> Any:
    """Firestore values as JSON: timestamps become ISO 8601 strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _records(tenant: TenantData, collection: str, client_id: str) -> Iterator[Any]:
    query = tenant.collection(collection).where(filter=FieldFilter("client_id", "==", client_id))
    yield from query.stream()


def courses_of(tenant: TenantData, client_id: str) -> firestore.CollectionReference:
    return tenant.collection(CLIENTS, client_id, COURSES)


def export_records(
    tenant: TenantData, client_id: str
) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    """Every registered record of the client, by collection, as JSON values, streamed
    (a client with years of log entries is exported with bounded memory)."""

    def as_json(snapshots: Iterator[Any]) -> Iterator[dict[str, Any]]:
        return ({"id": s.id, **plain(s.to_dict())} for s in snapshots)

    yield COURSES, as_json(courses_of(tenant, client_id).stream())
    for records in CLIENT_RECORDS:
        yield records.collection, as_json(_records(tenant, records.collection, client_id))


def erase_records(tenant: TenantData, client_id: str) -> int:
    """Delete every registered record of the client; returns how many went.

    Courses are listed with `list_documents`, which also returns documents that exist
    only as parents of others, so nothing below the client is left behind.
    """
    doomed = list(courses_of(tenant, client_id).list_documents())
    for records in CLIENT_RECORDS:
        doomed += [s.reference for s in _records(tenant, records.collection, client_id)]
    for start in range(0, len(doomed), BATCH_WRITES):
        batch = tenant.db.batch()
        for ref in doomed[start : start + BATCH_WRITES]:
            batch.delete(ref)
        batch.commit()
    return len(doomed)
