"""Every collection-group query of the nightly jobs has the index production needs (pure).

Firestore builds single-field indexes for collection scope only; a query over every
tenant's collection of one name (`collection_group`) fails in production
(FAILED_PRECONDITION: the query requires an index) unless firestore.indexes.json
declares a COLLECTION_GROUP index of its field. The emulator never asks for one, so
the stack's tests cannot see it: the jobs run here against a recorder of their queries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.support.maintenance.backups.backup import purge_old_backups
from functions.support.maintenance.runner import JOBS

INDEXES = Path(__file__).resolve().parents[2] / "firestore.indexes.json"


@dataclass
class Query:
    """Records the fields a query filters and orders on; finds nothing."""

    group: str | None  # the collection group's name; None: one collection
    fields: list[str] = field(default_factory=list)

    def where(self, *, filter: Any) -> Query:
        self.fields.append(str(filter.field_path))
        return self

    def order_by(self, field_path: str, **_: Any) -> Query:
        self.fields.append(field_path)
        return self

    def limit(self, _: int) -> Query:
        return self

    def start_after(self, _: Any) -> Query:
        return self

    def select(self, _: Any) -> Query:
        return self

    def get(self) -> list[Any]:
        return []

    def list_documents(self) -> list[Any]:
        return []


@dataclass
class Recorder:
    queries: list[Query] = field(default_factory=list)

    def collection_group(self, name: str) -> Query:
        self.queries.append(Query(name))
        return self.queries[-1]

    def collection(self, *_: str) -> Query:
        return Query(None)


def group_indexed(group: str, fields: list[str]) -> bool:
    if not fields:  # a whole collection group in name order: its built-in index serves it
        return True
    declared = json.loads(INDEXES.read_text())
    if len(set(fields)) == 1:
        return any(
            o["collectionGroup"] == group
            and o["fieldPath"] == fields[0]
            and any(i.get("queryScope") == "COLLECTION_GROUP" for i in o.get("indexes", []))
            for o in declared.get("fieldOverrides", [])
        )
    return any(
        i["collectionGroup"] == group
        and i.get("queryScope") == "COLLECTION_GROUP"
        and [f["fieldPath"] for f in i["fields"]][: len(set(fields))] == list(dict.fromkeys(fields))
        for i in declared.get("indexes", [])
    )


def test_every_collection_group_query_of_the_nightly_jobs_has_its_index() -> None:
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    db = Recorder()

    for job in JOBS:
        if job is purge_old_backups:  # Storage only: no Firestore query to index
            continue
        job(db, now + timedelta(hours=1), lambda: now)  # type: ignore[arg-type]

    groups = {(q.group, tuple(q.fields)) for q in db.queries if q.group is not None}
    assert ("messages", ("updated_at", "updated_at")) in groups  # the recorder sees them
    missing = [
        (group, fields) for group, fields in groups if not group_indexed(group, list(fields))
    ]
    assert missing == []
