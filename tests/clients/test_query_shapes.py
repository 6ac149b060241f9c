"""Lists, search and logs cost the same at 10,000 clients as at 100 (pure).

The emulator answers every query by scanning, so its timings grow with the data
whatever the query (README, "Benchmarks"); what makes production's cost constant is
the query's shape. Each query is built here by the real code with the real client
library and captured before it is sent: one range or equality query on indexed
fields, ordered, with a limit of one page (+1, to know there is a next one), a
cursor for the next page and never an offset or a count; and each combination of
fields it filters on has its composite index in firestore.indexes.json.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.base_document import DocumentSnapshot
from google.cloud.firestore_v1.base_query import BaseQuery
from google.cloud.firestore_v1.document import DocumentReference
from google.cloud.firestore_v1.query import Query
from google.cloud.firestore_v1.types import StructuredQuery

from functions.clients import clients, logs
from functions.clients.models import ClientQuery, LogQuery
from shared.tenancy import TenantData

INDEXES = Path(__file__).resolve().parents[2] / "firestore.indexes.json"
EQUAL = StructuredQuery.FieldFilter.Operator.EQUAL
CONTAINS = StructuredQuery.FieldFilter.Operator.ARRAY_CONTAINS
DESCENDING = StructuredQuery.Direction.DESCENDING


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[StructuredQuery]:
    """Every query the code runs, as the protobuf it would send; none reaches a server."""
    captured: list[StructuredQuery] = []

    def get(self: BaseQuery, *_: Any, **__: Any) -> list[Any]:
        captured.append(self._to_protobuf())
        return []

    def count(self: BaseQuery, *_: Any, **__: Any) -> Any:
        raise AssertionError("a page never counts")

    def document_get(self: DocumentReference, *_: Any, **__: Any) -> DocumentSnapshot[Any]:
        now = datetime.now(UTC)
        fields = {"search_name": "anna", "at": now}
        return DocumentSnapshot(self, fields, True, now, now, now)

    monkeypatch.setattr(Query, "get", get)
    monkeypatch.setattr(Query, "count", count)
    monkeypatch.setattr(DocumentReference, "get", document_get)
    return captured


@pytest.fixture
def tenant() -> TenantData:
    db = firestore.Client(project="p", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return TenantData(db, "acme")


def _shape(query: StructuredQuery) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(equality and array-contains filters, order) of a query, as index entries."""
    filters = [query.where.field_filter] if "field_filter" in query.where else []
    filters += [f.field_filter for f in query.where.composite_filter.filters]
    prefix = sorted(
        (f.field.field_path, "CONTAINS" if f.op == CONTAINS else "ASCENDING")
        for f in filters
        if f.op in (EQUAL, CONTAINS)
    )
    order = [
        (o.field.field_path, "DESCENDING" if o.direction == DESCENDING else "ASCENDING")
        for o in query.order_by
    ]
    return prefix, order


def _indexed(collection: str, query: StructuredQuery) -> bool:
    prefix, order = _shape(query)
    if not prefix and len([f for f, _ in order if f != "__name__"]) <= 1:
        return True  # one field, ordered: Firestore's automatic single-field index
    for index in json.loads(INDEXES.read_text())["indexes"]:
        fields = [(f["fieldPath"], f.get("order") or f["arrayConfig"]) for f in index["fields"]]
        if (
            index["collectionGroup"] == collection
            and index["queryScope"] == "COLLECTION"
            and sorted(fields[: len(prefix)]) == prefix
            and fields[len(prefix) :] == order
        ):
            return True
    return False


def _one_page_query(sent: list[StructuredQuery], limit: int) -> StructuredQuery:
    [query] = sent  # one query per page
    assert query.limit == limit + 1
    assert query.offset == 0
    assert query.order_by, "unordered: no stable cursor"
    return query


@pytest.mark.parametrize("q", [None, "an", "anna b"], ids=["list", "one word", "two words"])
@pytest.mark.parametrize("cursor", [None, "c123"], ids=["first page", "next page"])
def test_a_client_list_or_search_is_one_indexed_query_with_a_limit_and_a_cursor(
    sent: list[StructuredQuery], tenant: TenantData, q: str | None, cursor: str | None
) -> None:
    clients.search(tenant, ClientQuery(q=q, cursor=cursor, limit=25))
    query = _one_page_query(sent, 25)
    assert bool(query.start_at.values) == (cursor is not None)  # a cursor, not an offset
    assert _indexed("clients", query)


@pytest.mark.parametrize("field", ["client_id", "actor"], ids=["client log", "my log"])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"action": "client.updated"},
        {"exercise_id": "e1"},
        {"action": "client.updated", "exercise_id": "e1"},
        {"since": "2026-01-01T00:00:00Z", "until": "2026-06-01T00:00:00Z"},
        {"cursor": "ev1"},
    ],
    ids=["all", "action", "exercise", "action and exercise", "period", "next page"],
)
def test_a_log_page_is_one_indexed_query_with_a_limit_and_a_cursor(
    sent: list[StructuredQuery], tenant: TenantData, field: str, filters: dict[str, str]
) -> None:
    logs.log_page(tenant, field, "x1", LogQuery.model_validate({"limit": 50, **filters}))
    query = _one_page_query(sent, 50)
    assert bool(query.start_at.values) == ("cursor" in filters)
    assert _indexed("events", query)
