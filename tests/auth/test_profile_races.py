"""A member removed between a request's read and its write (e.g. a concurrent
DELETE /me/profile) is simply gone for that request: 404, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from bench.common import Host
from tests.shared.test_retrying import faults, host, injected, send  # noqa: F401

pytestmark = pytest.mark.usefixtures("stack")


def test_a_profile_change_whose_member_vanished_before_the_write_answers_404(
    host: Host,  # noqa: F811
    faults: Any,  # noqa: F811
    org: dict[str, Any],
) -> None:
    faults("Commit", "NOT_FOUND", 1)  # what Firestore answers an update of a deleted document
    changed = send(
        host, "PATCH", "/auth_api/me/profile", org["pro_token"], json={"display_name": "Ny"}
    )
    assert changed.status_code == 404, changed.text
    assert changed.json()["code"] == "not_found"
    assert injected(host) == {"firestore/Commit": 1}
