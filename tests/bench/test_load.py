"""The load run (bench/load.py) in miniature, so that it cannot rot: a few users for a few
seconds against the test stack, with the same checks as the full run."""

from __future__ import annotations

from typing import Any

from bench import load


def test_a_short_load_run_has_no_server_errors_and_no_cross_tenant_reads(
    stack: dict[str, str],
) -> None:
    printed: list[str] = []
    tally = load.run(users=6, tenants=2, seconds=4, think_s=0.2, out=printed.append)
    assert tally.requests > 10
    assert tally.server_errors == 0, tally.statuses
    assert tally.cross_tenant == []
    assert not tally.failed_connections
    report = "\n".join(printed)
    assert "p50" in report
    assert "cross-tenant reads 0" in report


def test_a_response_naming_another_tenants_marker_is_a_cross_tenant_read() -> None:
    markers = ["MrkA1", "MrkB2"]
    assert load.leaked_marker('{"name": "Klient MrkA1 0"}', "MrkA1", markers) is None
    assert load.leaked_marker('{"name": "Klient MrkB2 0"}', "MrkA1", markers) == "MrkB2"


def test_the_tally_counts_5xx_as_server_errors() -> None:
    tally = load.Tally()
    tally.add("get", 200, 0.01, None)
    tally.add("get", 503, 0.01, None)
    tally.add("open", 429, 0.01, None)
    leaked: Any = "MrkB2"
    tally.add("list", 200, 0.01, leaked)
    assert (tally.requests, tally.server_errors) == (4, 1)
    assert tally.cross_tenant == ["list saw MrkB2"]
