"""The backup codec: every Firestore value comes back with its exact type (pure)."""

from __future__ import annotations

import copy
import datetime
import math
from typing import Any

from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1 import _helpers
from google.cloud.firestore_v1._helpers import GeoPoint
from google.cloud.firestore_v1.types import Document
from google.cloud.firestore_v1.vector import Vector
from hypothesis import given
from hypothesis import strategies as st

from shared.backups.codec import (
    decode,
    decode_fields,
    encode,
    encode_document,
    encode_fields,
    pack,
    timestamp,
    unpack,
)


class Ref:
    """Stands in for a DocumentReference: a path and a parent."""

    def __init__(self, path: str) -> None:
        self.path, self.parent = path, None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)


timestamps = st.builds(
    timestamp,
    st.integers(-62_135_596_800, 253_402_300_799),
    st.integers(0, 999_999_999),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.binary(),
    timestamps,
    st.builds(GeoPoint, st.floats(-90, 90), st.floats(-180, 180)),
    st.builds(Ref, st.from_regex(r"tenants/[a-z]{1,8}/[a-z]{1,8}/[a-z0-9]{1,8}", fullmatch=True)),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def same(a: Any, b: Any) -> bool:
    """Equal with the same type, all the way down (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, DatetimeWithNanoseconds):
        return bool(a == b) and a.nanosecond == b.nanosecond
    if isinstance(a, GeoPoint):
        return same(a.latitude, b.latitude) and same(a.longitude, b.longitude)
    equal: bool = a == b
    return equal


@given(values)
def test_every_value_comes_back_with_its_type(value: Any) -> None:
    assert same(decode(encode(value), Ref), value)


@given(st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_a_document_survives_a_compressed_part(fields: dict[str, Any]) -> None:
    line = {"path": "clients/c1", "fields": encode_fields(fields)}
    (back,) = unpack(pack([line]))
    assert same(decode_fields(back["fields"], Ref), fields)


def test_the_same_records_give_the_same_bytes() -> None:
    line = {"path": "x", "fields": encode_fields({"b": 2, "a": 1})}
    assert pack([line]) == pack([dict(reversed(line.items()))])


def test_types_that_json_would_blur_stay_apart() -> None:
    assert encode(1) != encode(1.0) != encode(True)
    assert encode(b"a") != encode("YQ==")
    assert encode(2**63 - 1) == {"i": str(2**63 - 1)}
    assert decode(encode(-0.0), Ref).hex() == "-0x0.0p+0"
    assert isinstance(decode(encode(Vector([1.0, 2.5])), Ref), Vector)


def test_a_timestamp_keeps_its_nanoseconds_and_a_plain_datetime_its_microseconds() -> None:
    moment = timestamp(1_772_366_400, 987_654_321)
    assert decode(encode(moment), Ref).nanosecond == 987654321
    plain = datetime.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=datetime.UTC)
    assert decode(encode(plain), Ref) == plain


def test_a_copied_timestamp_keeps_its_microseconds() -> None:
    # deepcopy (the client library's to_dict()) drops a DatetimeWithNanoseconds' nanoseconds.
    moment = timestamp(1_772_366_400, 987_654_321)
    assert encode(copy.deepcopy(moment)) == {"t": [1_772_366_400, 987_654_000]}


_CLIENT = firestore.Client(project="p", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
_DOCUMENTS = f"{_CLIENT._database_string}/documents/"
# The client library's reading overflows on the very last second Firestore holds (9999-12-31
# 23:59:59, its microseconds rounded up): the wire test stays a second short of it.
LAST_READABLE = datetime.datetime(9999, 12, 31, 23, 59, 58, tzinfo=datetime.UTC)
wire_scalars = st.one_of(
    scalars.filter(
        lambda v: (
            not isinstance(v, Ref)
            and not (isinstance(v, DatetimeWithNanoseconds) and v > LAST_READABLE)
        )
    ),
    st.from_regex(r"tenants/[a-z]{1,8}/[a-z]{1,8}/[a-z0-9]{1,8}", fullmatch=True).map(
        _CLIENT.document
    ),
    st.builds(Vector, st.lists(st.floats(allow_nan=False), max_size=4)),
    # A map the client library reads as a vector.
    st.fixed_dictionaries({"__type__": st.just("__vector__"), "value": st.just([1, 2.5])}),
)
wire_values = st.recursive(
    wire_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), wire_values, max_size=6))
def test_a_document_encoded_from_the_wire_is_what_the_client_librarys_reading_encodes(
    fields: dict[str, Any],
) -> None:
    wire = Document.pb()(fields={k: _helpers.encode_value(v)._pb for k, v in fields.items()})
    library = {k: _helpers.decode_value(v, _CLIENT) for k, v in wire.fields.items()}
    assert encode_document(wire.fields, _DOCUMENTS) == encode_fields(library)


def test_a_map_the_client_library_would_read_as_bson_stays_the_map_it_is() -> None:
    # The library reads {"__binary__": b"\0..."} as bytes, which a restore would write back
    # as bytes; from the wire it stays the map that was written.
    fields = {"blob": {"__binary__": b"\x00ab"}}
    wire = Document.pb()(fields={k: _helpers.encode_value(v)._pb for k, v in fields.items()})
    assert encode_document(wire.fields, _DOCUMENTS) == encode_fields(fields)
    assert _helpers.decode_value(wire.fields["blob"], _CLIENT) == b"ab"
