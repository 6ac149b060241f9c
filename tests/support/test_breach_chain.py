"""The breach register's hash chain, pure: every change, removal or reordering of an entry
fails verification at that entry."""

from __future__ import annotations

import hashlib

from functions.support.breaches.chain import GENESIS, canonical, seal, verify
from functions.support.breaches.models import RegisterEntry


def _chain(count: int) -> list[RegisterEntry]:
    entries, prev = [], GENESIS
    for seq in range(1, count + 1):
        entry = seal(seq, f"breach-{seq % 2}", ["a"], {"kind": "update", "data": {"n": seq}}, prev)
        entries.append(entry)
        prev = entry.hash
    return entries


def test_each_hash_is_sha256_of_the_canonical_entry_and_the_previous_hash() -> None:
    first, second = _chain(2)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash
    assert second.hash == hashlib.sha256((second.body + first.hash).encode()).hexdigest()
    assert canonical({"b": 1, "a": "æ"}) == '{"a":"æ","b":1}'


def test_an_intact_chain_verifies() -> None:
    assert verify(_chain(5)).model_dump() == {
        "ok": True,
        "entries": 5,
        "first_bad_seq": None,
        "reason": None,
    }


def test_a_changed_body_a_changed_index_field_a_gap_or_a_swap_fails_where_it_happens() -> None:
    entries = _chain(5)
    edited = [*entries]
    edited[2] = edited[2].model_copy(update={"body": edited[2].body.replace('"n":3', '"n":4')})
    assert verify(edited).first_bad_seq == 3
    moved = [*entries]
    moved[1] = moved[1].model_copy(update={"tenant_ids": ["b"]})
    assert verify(moved).first_bad_seq == 2
    assert verify(entries[:2] + entries[3:]).first_bad_seq == 4
    assert verify([entries[1], entries[0], *entries[2:]]).ok is False
    # re-hashing an edited entry still breaks the next link
    forged = [*entries]
    body = forged[2].body.replace('"n":3', '"n":9')
    forged[2] = seal(
        3, forged[2].breach_id, ["a"], {"kind": "update", "data": {"n": 9}}, forged[1].hash
    )
    assert forged[2].body == body
    assert verify(forged).first_bad_seq == 4
