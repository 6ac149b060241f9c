"""The rules harness: Firestore REST calls as a browser would make them.

Requests carry an unsigned JWT with the claims of a signed-in user (what
Firebase's rules-unit-testing does), so the emulator applies firestore.rules.
Later issues add their collections to the tables in test_rules.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from tests.helpers import rules_claims, unsigned_token


def _base() -> str:
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    host = os.environ["FIRESTORE_EMULATOR_HOST"]
    return f"http://{host}/v1/projects/{project}/databases/(default)/documents"


@dataclass(frozen=True)
class Browser:
    """A browser session: no token (signed out) or the claims of a signed-in user."""

    uid: str | None = None
    tenant_id: str | None = None
    role: str | None = None
    # Claims that differ from a fresh password sign-in (e.g. an old auth_time).
    claims: dict[str, Any] = field(default_factory=dict)

    def _headers(self) -> dict[str, str]:
        if self.uid is None:
            return {}
        claims = rules_claims(self.uid, self.tenant_id, self.role or "") | self.claims
        token = unsigned_token(claims)
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{_base()}/{path}", headers=self._headers(), timeout=10)

    def write(self, path: str, fields: dict[str, Any] | None = None) -> requests.Response:
        body: dict[str, Any] = {"fields": {k: _value(v) for k, v in (fields or {"x": "y"}).items()}}
        return requests.patch(f"{_base()}/{path}", json=body, headers=self._headers(), timeout=10)

    def delete(self, path: str) -> requests.Response:
        return requests.delete(f"{_base()}/{path}", headers=self._headers(), timeout=10)


def _value(value: Any) -> dict[str, Any]:
    """A value as Firestore's REST API types it (what the SDK sends for it)."""
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"integerValue": str(value)}
    if isinstance(value, datetime):
        return {"timestampValue": value.isoformat()}
    if isinstance(value, dict):
        return {"mapValue": {"fields": {k: _value(v) for k, v in value.items()}}}
    if value is None:
        return {"nullValue": None}
    return {"stringValue": value}


def allowed(reply: requests.Response) -> bool:
    """200 (or 404 for a missing document that the rules let us ask for) vs 403."""
    if reply.status_code == 403:
        return False
    assert reply.status_code in (200, 404), reply.text
    return True
