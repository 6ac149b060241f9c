"""Request models of clients_api at their edges (pure logic)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from functions.clients.models import LogQuery


@pytest.mark.parametrize(
    "query",
    [
        {"since": "0001-01-01"},
        {"until": "9999-12-31"},
        {"since": "2026-01-01T00:00:00+99:00"},
        {"since": "2026-01-02", "until": "2026-01-01"},
        {"since": "2026-01-01", "until": "2026-01-01"},
    ],
)
def test_log_ranges_at_the_edges_are_refused(query: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        LogQuery.model_validate(query)


def test_a_moment_without_a_zone_is_utc() -> None:
    query = LogQuery.model_validate({"since": "2026-01-01T10:00:00"})
    assert query.since is not None
    assert query.since.utcoffset() is not None
    assert query.since.isoformat() == "2026-01-01T10:00:00+00:00"
