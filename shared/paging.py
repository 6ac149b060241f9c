"""Cursor paging: a page of a query, and the cursor of the next one.

The cursor is the id of the last document of a page, so paging costs one indexed
query per page whatever the collection's size: no count, no offset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.cloud import firestore

from shared import errors
from shared.tenancy import InvalidPath

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def bad_cursor() -> errors.ValidationFailed:
    return errors.ValidationFailed(
        "The cursor is not valid", errors=[{"field": "cursor", "message": "unknown"}]
    )


def page(
    query: Any,
    collection: firestore.CollectionReference,
    cursor: str | None,
    limit: int,
    convert: Callable[[firestore.DocumentSnapshot[Any]], T | None],
) -> Page[T]:
    """`limit` items of the ordered `query`, after the document `cursor` of `collection`.

    `convert` may drop a document (None), e.g. a client being erased; the page is then
    shorter, never wrong.
    """
    if cursor:
        try:
            after = collection.document(cursor).get()
        except InvalidPath:  # e.g. an id Firestore reserves: no page starts there
            raise bad_cursor() from None
        if not after.exists:
            raise bad_cursor()
        query = query.start_after(after)
    found = list(query.limit(limit + 1).get())
    items = [item for item in (convert(s) for s in found[:limit]) if item is not None]
    more = len(found) > limit
    return Page(items=items, next_cursor=found[limit - 1].id if more else None)
