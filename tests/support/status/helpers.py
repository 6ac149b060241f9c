"""Incidents and maintenance through `status_admin`, for the status tests against the stack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.subscriptions import COPENHAGEN
from tests.helpers import call, unique

ADMIN = "/status_admin"
PAGE = "/status_page/"


def text(da: str, en: str | None = None) -> dict[str, str]:
    return {"da": da, **({"en": en} if en else {})}


def open_incident(token: str, tenants: list[str], **extra: Any) -> dict[str, Any]:
    body = {
        "title": text(f"Log ind fejler {unique('i')}", "Sign-in fails"),
        "message": text(
            "Vi undersøger, hvorfor nogle ikke kan logge ind.", "We are looking into it."
        ),
        "impact": "major",
        "components": {"sign_in": "partial_outage"},
        "tenants": tenants,
        "expected_resolution_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
        **extra,
    }
    reply = call("POST", f"{ADMIN}/incidents", token, json=body)
    assert reply.status_code == 201, reply.text
    found: dict[str, Any] = reply.json()
    return found


def post_update(token: str, incident_id: str, status: str, **extra: Any) -> dict[str, Any]:
    body = {"status": status, "message": text(f"Status: {status} {unique('u')}"), **extra}
    reply = call("POST", f"{ADMIN}/incidents/{incident_id}/updates", token, json=body)
    assert reply.status_code == 201, reply.text
    found: dict[str, Any] = reply.json()
    return found


def night(days_ahead: int, hour: int = 1) -> datetime:
    """`hour` o'clock Copenhagen time `days_ahead` calendar days from today."""
    today = datetime.now(COPENHAGEN).date() + timedelta(days=days_ahead)
    return datetime(today.year, today.month, today.day, hour, tzinfo=COPENHAGEN)


def maintenance_body(
    tenants: list[str], starts: datetime, hours: float = 1, **extra: Any
) -> dict[str, Any]:
    return {
        "title": text(f"Opdatering af databasen {unique('m')}", "Database update"),
        "description": text(
            "Trivsel kan være utilgængelig i kort tid.", "Trivsel may be down briefly."
        ),
        "components": ["client_work", "sign_in"],
        "tenants": tenants,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        **extra,
    }
