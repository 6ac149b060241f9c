"""The cold-start bench covers every HTTP function the deployment declares."""

from __future__ import annotations

from bench.coldstart import World, first_requests, request_table
from infra.deployment import load


def _world() -> World:
    return World("t", "admin-token", "owner-token", "c", "task", 1, "link")


def test_the_cold_start_bench_has_a_first_request_for_every_http_function() -> None:
    http = {fn.name for fn in load().functions if fn.trigger == "http"}
    assert set(request_table(_world())) == http
    assert {r.target for r in first_requests(_world())} == http
