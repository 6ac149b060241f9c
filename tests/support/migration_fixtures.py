"""Test-only migrations, and the child process the kill tests run (and SIGKILL).

`COUNT` deliberately is not idempotent (each application adds one), so a document
migrated twice shows; `FAIL_ON_MARK` raises on a marked document.

    python -m tests.support.migration_fixtures TENANT BATCH
"""

from __future__ import annotations

import sys
from typing import Any

from functions.support.maintenance.migrations.engine import migrate_tenant
from functions.support.maintenance.migrations.m0001_client_search_keys import MIGRATION as KEYS
from functions.support.maintenance.migrations.model import Migration
from shared.gcp import firestore_client

COUNTED = "counted"


def _count(fields: dict[str, Any]) -> dict[str, Any]:
    return {"applied": int(fields.get("applied", 0)) + 1}


def _fail_on_mark(fields: dict[str, Any]) -> dict[str, Any] | None:
    if fields.get("mark"):
        raise ValueError("this document cannot be migrated")
    return None


COUNT = Migration(name="9001_count", description="adds one", collection=COUNTED, change=_count)
FAIL_ON_MARK = Migration(
    name="9000_fail_on_mark",
    description="fails on a mark",
    collection=COUNTED,
    change=_fail_on_mark,
)
KILLED_RUN = (COUNT, KEYS)  # what the kill test runs: the counting one, then the real one


if __name__ == "__main__":
    migrate_tenant(firestore_client(), sys.argv[1], migrations=KILLED_RUN, batch=int(sys.argv[2]))
