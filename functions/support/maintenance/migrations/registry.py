"""Every migration, in the order they run. A new one: add `mNNNN_<name>.py` with the next
number and list its MIGRATION here (tests/support/test_migrations.py checks both)."""

from __future__ import annotations

from functions.support.maintenance.migrations import (
    m0001_client_search_keys,
    m0002_client_last_activity,
)
from functions.support.maintenance.migrations.model import Migration

MIGRATIONS: tuple[Migration, ...] = (
    m0001_client_search_keys.MIGRATION,
    m0002_client_last_activity.MIGRATION,
)
