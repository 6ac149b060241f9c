"""0001: search keys on clients written before word-prefix search.

Clients created before search by a word's prefix (the `search_prefixes` array) have only
`search_name`, so searching "jen" never finds "Ida Jensen" among them: search has no
fallback for them, it silently misses them. This writes both keys from the name shown
(the pseudonym for a pseudonymised client), exactly as a create or edit does now.
"""

from __future__ import annotations

from typing import Any

from functions.support.maintenance.migrations.model import Migration, migration_name
from shared.clients import CLIENTS, search_fields


def change(fields: dict[str, Any]) -> dict[str, Any] | None:
    name = (fields.get("profile") or {}).get("name")
    if not isinstance(name, str):
        return None  # not a client record (or one being erased): nothing to index
    wanted = search_fields(name)
    if all(fields.get(key) == value for key, value in wanted.items()):
        return None
    return wanted


MIGRATION = Migration(
    name=migration_name(__name__),
    description="search keys (search_name, search_prefixes) on older clients",
    collection=CLIENTS,
    change=change,
)
