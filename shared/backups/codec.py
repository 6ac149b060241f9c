"""Firestore values as tagged JSON, exactly: a pure module, no client calls.

Every value becomes a one-key object whose key names its Firestore type, so nothing is
guessed back: `{"t": [seconds, nanos]}` is a timestamp to the nanosecond, `{"y": "..."}`
bytes in base64, `{"f": "0x1.8p+0"}` a double in hex (NaN and the infinities included),
`{"r": "tenants/t/clients/c"}` a reference by its path, `{"g": [lat, lng]}` a geo point,
`{"m": {...}}` a map and `{"a": [...]}` an array. A part is JSON lines, one document a
line (`{"path": ..., "fields": ...}`), gzip-compressed.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from google.cloud.firestore_v1._helpers import GeoPoint
from google.cloud.firestore_v1.vector import Vector

Encoded = dict[str, Any]
# Builds a DocumentReference (or anything with a `.path`) from a document path.
Referencer = Callable[[str], Any]
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# zlib's default: parts are mostly text, where level 9 costs about twice the time of 6 for a
# part under 1 % smaller (measured on the bench tenant's parts).
GZIP_LEVEL = 6
# One encoder for every line: json.dumps with options builds a new one per call.
_DUMPS = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


class UnsupportedValue(TypeError):
    """A value no Firestore document can hold."""


def encode(value: Any) -> Encoded:
    if value is None:
        return {"n": None}
    if isinstance(value, bool):
        return {"b": value}
    if isinstance(value, int):
        return {"i": str(value)}  # 64-bit integers stay exact in any JSON reader
    if isinstance(value, float):
        return {"f": value.hex()}
    if isinstance(value, str):
        return {"s": value}
    if isinstance(value, bytes):
        return {"y": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime.datetime):
        return {"t": list(_seconds_and_nanos(value))}
    if isinstance(value, GeoPoint):
        return {"g": [value.latitude.hex(), value.longitude.hex()]}
    if isinstance(value, Vector):
        return {"v": [float(x).hex() for x in value]}
    if isinstance(value, dict):
        return {"m": {str(k): encode(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"a": [encode(v) for v in value]}
    path = getattr(value, "path", None)
    if isinstance(path, str) and hasattr(value, "parent"):  # a DocumentReference
        return {"r": path}
    raise UnsupportedValue(f"cannot back up a {type(value).__name__}")


def _seconds_and_nanos(value: datetime.datetime) -> tuple[int, int]:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    delta = value - _EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    nanos = delta.microseconds * 1000
    # A copy (`copy.deepcopy`, which the client library's to_dict() makes) of a
    # DatetimeWithNanoseconds keeps its microseconds but says 0 nanoseconds.
    if isinstance(value, DatetimeWithNanoseconds) and value.nanosecond // 1000 == value.microsecond:
        nanos = value.nanosecond
    return seconds, nanos


def decode(encoded: Encoded, reference: Referencer) -> Any:
    ((tag, raw),) = encoded.items()
    match tag:
        case "n":
            return None
        case "b":
            return bool(raw)
        case "i":
            return int(raw)
        case "f":
            return float.fromhex(raw)
        case "s":
            return str(raw)
        case "y":
            return base64.b64decode(raw)
        case "t":
            seconds, nanos = raw
            return timestamp(seconds, nanos)
        case "g":
            return GeoPoint(float.fromhex(raw[0]), float.fromhex(raw[1]))
        case "v":
            return Vector([float.fromhex(x) for x in raw])
        case "m":
            return {k: decode(v, reference) for k, v in raw.items()}
        case "a":
            return [decode(v, reference) for v in raw]
        case "r":
            return reference(raw)
    raise ValueError(f"unknown value tag {tag!r}")


def timestamp(seconds: int, nanos: int) -> datetime.datetime:
    """The moment `seconds` after the epoch plus `nanos`, to the nanosecond."""
    from google.protobuf.timestamp_pb2 import Timestamp  # type: ignore[import-untyped]

    moment: datetime.datetime = DatetimeWithNanoseconds.from_timestamp_pb(  # type: ignore[no-untyped-call]
        Timestamp(seconds=seconds, nanos=nanos)
    )
    return moment


def encode_fields(fields: dict[str, Any]) -> Encoded:
    return {k: encode(v) for k, v in fields.items()}


def decode_fields(encoded: Encoded, reference: Referencer) -> dict[str, Any]:
    return {k: decode(v, reference) for k, v in encoded.items()}


def pack(lines: Iterable[dict[str, Any]]) -> bytes:
    """Records as gzip-compressed JSON lines (mtime 0: the same records, the same bytes)."""
    text = "".join(_DUMPS(line) + "\n" for line in lines)
    return gzip.compress(text.encode("utf-8"), compresslevel=GZIP_LEVEL, mtime=0)


def unpack(data: bytes) -> Iterator[dict[str, Any]]:
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        if line:
            yield json.loads(line)


def encode_document(fields: Mapping[str, Any], documents: str) -> Encoded:
    """`encode_fields` of a document read from the wire: `fields` is a `Document` protobuf's
    fields map (google.cloud.firestore_v1.types.Document.pb()), `documents` the database's
    `projects/{p}/databases/{d}/documents/` prefix, which references lose (their `path`)."""
    return {k: _encode_pb(v, documents) for k, v in fields.items()}


def _encode_pb(value: Any, documents: str) -> Encoded:
    kind = value.WhichOneof("value_type")
    # The most frequent kinds first: this runs for every value of every document.
    if kind == "string_value":
        return {"s": value.string_value}
    if kind == "integer_value":
        return {"i": str(value.integer_value)}
    if kind == "map_value":
        fields = value.map_value.fields
        vector = fields.get("__type__")
        if vector is not None and vector.string_value == "__vector__" and "value" in fields:
            # How the client library reads a vector (and `encode` writes it): {"v": ...}.
            items = fields["value"].array_value.values
            return {"v": [float(getattr(x, x.WhichOneof("value_type"))).hex() for x in items]}
        return {"m": {k: _encode_pb(v, documents) for k, v in fields.items()}}
    if kind == "array_value":
        return {"a": [_encode_pb(v, documents) for v in value.array_value.values]}
    if kind == "double_value":
        return {"f": value.double_value.hex()}
    if kind == "boolean_value":
        return {"b": value.boolean_value}
    if kind == "null_value":
        return {"n": None}
    if kind == "timestamp_value":
        # The wire's seconds and nanos are what `encode` computes from the datetime.
        return {"t": [value.timestamp_value.seconds, value.timestamp_value.nanos]}
    if kind == "bytes_value":
        return {"y": base64.b64encode(value.bytes_value).decode("ascii")}
    if kind == "reference_value":
        path: str = value.reference_value
        if not path.startswith(documents):
            raise UnsupportedValue(f"cannot back up a reference to another database: {path}")
        return {"r": path[len(documents) :]}
    if kind == "geo_point_value":
        point = value.geo_point_value
        return {"g": [point.latitude.hex(), point.longitude.hex()]}
    raise UnsupportedValue(f"cannot back up a {kind} value")
