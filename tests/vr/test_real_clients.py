"""A VR session with real clients (issue 15, Must show #1).

emulators/clients/vr_session.mjs runs a tablet and 50 headsets with the official Firebase
JS SDK in one Node process: the tablet signs in with the professional's password against
the Auth emulator, the headsets pair over HTTP and sign in with their custom tokens, and
every listener and write goes through the real firestore.rules.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from infra.deployment import ROOT
from tests.helpers import PASSWORD
from tests.vr.support import vr_film, vr_tenant

pytestmark = pytest.mark.usefixtures("stack")

SCRIPT = ROOT / "emulators" / "clients" / "vr_session.mjs"


def run_session(org: dict[str, Any], film_id: str, **options: Any) -> dict[str, Any]:
    """The Node clients against this stack; their JSON result."""
    given = {
        "email": org["pro_email"],
        "password": PASSWORD,
        "client_id": org["client_id"],
        "film_id": film_id,
        "headsets": 50,
        "commands": 1,
        "mode": "test",
        **options,
    }
    done = subprocess.run(
        ["node", str(SCRIPT)],
        env={**os.environ, "VR_INPUT": json.dumps(given)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_tablet_and_fifty_headsets_run_a_session_with_the_firebase_sdk(
    owner: str, catalogue: dict[str, str]
) -> None:
    org = vr_tenant(owner, catalogue["area"])
    film = vr_film(owner, catalogue["area"])
    result = run_session(org, film)
    assert result["errors"] == [], result["errors"][:12]  # no listener or write was refused
    assert result["paired"] == 50
    assert result["token_claims_confined"] is True
    assert result["refused"] == {"status": 409, "code": "session_full"}  # the 51st
    assert result["play_seen_by"] == 50
    assert result["acknowledged_by"] == 50  # every presence carries the command it ran
    assert result["stop_heard_ms"] < 5000  # the tablet heard headset 0's stop
    assert result["gone_after_ms"] < 15000
    assert result["others_alive"] == 49
    # The server's view, asked by the tablet while the others still beat, agrees.
    assert result["server_view"] == {"headsets": 50, "connected": 49}
