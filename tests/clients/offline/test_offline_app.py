"""The app's offline path end to end with the real Firebase JS SDK in Node (issue 16):
writes queued offline meet firestore.rules when they arrive, and the sync endpoint."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shared.gcp import firestore_client
from shared.offline import OUTBOX
from shared.tenancy import TenantData
from tests.accounts import activate, active_tenant, add_professional, problem
from tests.clients.offline.sync_helpers import API, offline_events, quarantined
from tests.content import new_client
from tests.helpers import PASSWORD, call, functions_url, unique

pytestmark = pytest.mark.usefixtures("stack")
ROOT = Path(__file__).resolve().parents[3]
SCRIPT = Path(__file__).with_name("offline_app.mjs")
RECORDS = 5


class App:
    """offline_app.mjs in its own process: offline until `reconnect`."""

    def __init__(self, team: dict[str, Any]) -> None:
        env = {
            **os.environ,
            "FIREBASE_MODULES": str(ROOT / "emulators" / "node_modules"),
            "FUNCTIONS_URL": functions_url(""),
            "EMAIL": team["pro"]["email"],
            "PASSWORD": PASSWORD,
            "TENANT": team["slug"],
            "CLIENT_ID": team["client"]["id"],
            "RECORDS": str(RECORDS),
        }
        self.process = subprocess.Popen(
            ["node", str(SCRIPT)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().strip()
        assert ready == "offline", ready + self._stderr()

    def _stderr(self) -> str:
        if self.process.poll() is None:
            return ""
        assert self.process.stderr is not None
        return self.process.stderr.read()[-3000:]

    def reconnect(self) -> dict[str, Any]:
        out, err = self.process.communicate("online\n", timeout=90)
        assert self.process.returncode == 0, err[-3000:]
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result


@pytest.fixture
def team(owner: str) -> dict[str, Any]:
    created = active_tenant(owner, seats=3)
    pro = add_professional(created["admin_token"])
    token = activate(pro["email"])
    return {
        **created,
        "pro": pro,
        "pro_token": token,
        "data": TenantData(firestore_client(), created["slug"]),
        "client": new_client(token, unique("Ida")),
    }


def test_an_app_deactivated_while_offline_is_refused_and_its_records_wait_for_the_admin(
    team: dict[str, Any],
) -> None:
    app = App(team)
    path = f"/auth_api/users/{team['pro']['uid']}/deactivate"
    assert call("POST", path, team["admin_token"]).status_code == 200  # meanwhile

    result = app.reconnect()

    assert [w["outcome"] for w in result["writes"]] == ["refused"] * RECORDS
    assert {w["code"] for w in result["writes"]} == {"permission-denied"}
    assert team["data"].collection(OUTBOX).get() == []  # the rules let none in
    assert result["sync"]["status"] == 403
    assert result["sync"]["body"]["code"] == "account_disabled"
    assert result["sync"]["body"]["sign_out"] is True
    assert offline_events(team["data"], team["client"]["id"]) == []
    held = call("GET", f"{API}/sync/quarantine", team["admin_token"]).json()["batches"]
    assert [(b["id"], b["records"]) for b in held] == [
        (result["sync"]["body"]["quarantine_id"], RECORDS)
    ]
    accept = f"{API}/sync/quarantine/{held[0]['id']}/accept"

    assert call("POST", accept, team["admin_token"]).status_code == 200

    problem(call("POST", accept, team["admin_token"]), 409, "invalid_transition")
    entries = offline_events(team["data"], team["client"]["id"])
    assert sorted(e["details"]["text"] for e in entries) == [
        f"Offline note {n}" for n in range(RECORDS)
    ]
    assert quarantined(team["data"])[1] == []


def test_an_active_apps_queued_writes_arrive_and_are_applied_once_by_either_path(
    team: dict[str, Any],
) -> None:
    app = App(team)

    result = app.reconnect()

    assert [w["outcome"] for w in result["writes"]] == ["written"] * RECORDS
    assert result["sync"]["status"] == 200
    assert [r["status"] for r in result["sync"]["body"]["results"]] == ["applied"] * RECORDS
    drained = call("POST", f"{API}/sync/outbox", team["pro_token"])
    assert [r["status"] for r in drained.json()["results"]] == ["already_applied"] * RECORDS
    assert team["data"].collection(OUTBOX).get() == []
    assert call("POST", f"{API}/sync/outbox", team["pro_token"]).json()["results"] == []
    assert len(offline_events(team["data"], team["client"]["id"])) == RECORDS
