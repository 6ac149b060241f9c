"""The split of a tenant's documents into ranges read at once (pure logic, ranges.py)."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from functions.support.maintenance.backups.ranges import split


def firsts(parts: int) -> list[str]:
    """The first paths of a previous backup's parts (the tenant's own document first)."""
    return ["", *(f"clients/c{i:04}" for i in range(1, parts))] if parts else []


def bounds(ranges: list[dict[str, Any]]) -> list[tuple[str | None, str | None]]:
    return [(r["start"], r["end"]) for r in ranges]


def test_a_tenant_whose_last_backup_had_ten_parts_is_read_in_four_ranges_cut_at_parts() -> None:
    ranges = split(firsts(10), streams=4)
    assert bounds(ranges) == [
        (None, "clients/c0002"),
        ("clients/c0002", "clients/c0005"),
        ("clients/c0005", "clients/c0007"),
        ("clients/c0007", None),
    ]
    assert {(r["parts"], r["after"], r["finished"]) for r in ranges} == {(0, None, False)}


def test_a_first_backup_or_one_after_a_single_part_is_read_in_one_range() -> None:
    for parts in (0, 1):
        assert bounds(split(firsts(parts), streams=4)) == [(None, None)]


@given(st.integers(0, 300), st.integers(1, 6))
def test_the_ranges_are_contiguous_ordered_and_never_more_than_the_streams(
    parts: int, streams: int
) -> None:
    ranges = split(firsts(parts), streams=streams)
    assert 1 <= len(ranges) <= min(streams, max(parts, 1))
    assert (ranges[0]["start"], ranges[-1]["end"]) == (None, None)
    for before, after in itertools.pairwise(ranges):
        assert before["end"] == after["start"]  # each document in exactly one range
    cuts = [r["start"] for r in ranges[1:]]
    assert cuts == sorted(cuts, key=firsts(parts).index)  # in the previous backup's order
    assert len(set(cuts)) == len(cuts)
    assert "" not in cuts  # the tenant's own document is never a cut
