"""What the offline tests share: records as the app makes them, and reading back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud.firestore_v1.base_query import FieldFilter

from shared.offline import QUARANTINE, QUARANTINE_RECORDS
from shared.tenancy import TenantData

API = "/clients_api"


def record_id() -> str:
    return uuid.uuid4().hex


def note(client_id: str, text: str = "Talte om skolen", **extra: Any) -> dict[str, Any]:
    return {
        "id": record_id(),
        "kind": "log_entry",
        "device_time": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "client_id": client_id,
        "text": text,
        **extra,
    }


def notes(client_id: str, count: int, prefix: str = "Note") -> list[dict[str, Any]]:
    return [note(client_id, f"{prefix} {n}") for n in range(count)]


def offline_events(data: TenantData, client_id: str, action: str = "client.note") -> list[Any]:
    query = data.collection("events").where(filter=FieldFilter("client_id", "==", client_id))
    return [
        e.to_dict() or {}
        for e in query.get()
        if e.get("action") == action and (e.to_dict() or {}).get("details", {}).get("offline")
    ]


def quarantined(data: TenantData) -> tuple[list[Any], list[Any]]:
    """The quarantine's batches and records, read directly."""
    return list(data.collection(QUARANTINE).get()), list(data.collection(QUARANTINE_RECORDS).get())
