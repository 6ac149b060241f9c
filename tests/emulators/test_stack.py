"""`make up` (python -m emulators up): ready, demo logins that work, clean stop, clear refusals."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from emulators.profiles import PROFILES
from emulators.seed import DEMO_USERS
from emulators.services import StackError, port_free
from emulators.stack import Stack
from infra.deployment import ROOT
from shared.principal import Role

SMOKE = PROFILES["smoke"]
# These start stacks of their own (or the session's): never in `make test-unit`.
pytestmark = pytest.mark.stack
DEMO_DATA = json.loads((ROOT / "emulators" / "demo_data.json").read_text(encoding="utf-8"))


def _sign_in(email: str, password: str) -> str:
    signed_in = requests.post(
        f"http://127.0.0.1:{SMOKE.auth}/identitytoolkit.googleapis.com/v1/"
        "accounts:signInWithPassword?key=any",
        json={"email": email, "password": password, "returnSecureToken": True},
        timeout=10,
    )
    assert signed_in.status_code == 200, signed_in.text
    return str(signed_in.json()["idToken"])


def _get(path: str, token: str) -> dict[str, Any]:
    reply = requests.get(
        f"{SMOKE.functions_url}{path}", timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _check_demo_tenant(professional: str) -> None:
    """What the seed promises: clients, an answered remote task, a planned calendar."""
    clients = _get("/clients_api/clients?limit=100", professional)["clients"]
    expected = [c["profile"]["name"] for c in DEMO_DATA["clients"] if not c.get("pseudonymise")]
    assert {c["name"] for c in clients} >= set(expected)
    assert any(c["pseudonymised"] and c["name"].startswith("Klient-") for c in clients)
    tasks = [
        task
        for c in clients
        for task in _get(f"/remote_tasks_api/clients/{c['id']}/remote-tasks", professional)[
            "remote_tasks"
        ]
    ]
    answered = [t for t in tasks if t["status"] == "answered"]
    assert answered, tasks
    assert answered[0]["answered_at"]
    assert answered[0]["answer"]
    assert any(t["status"] == "sent" for t in tasks), tasks
    start = date.today()
    end = start + timedelta(days=60)
    calendar = _get(f"/clients_api/calendar?start={start}&end={end}", professional)
    assert calendar["entries"]


def _check_vr(professional: str) -> None:
    """The demo tenant has the VR add-on and VR films in its licensed catalogue: a session
    opens, a headset pairs and gets each seeded film."""
    catalogue = json.loads((ROOT / "emulators" / "demo_catalogue.json").read_text("utf-8"))
    films = [
        e["content"]["film_id"]
        for e in catalogue["exercises"].values()
        if e["content"]["kind"] == "vr_film"
    ]
    assert len(films) >= 3
    clients = _get("/clients_api/clients?limit=1", professional)["clients"]
    opened = requests.post(
        f"{SMOKE.functions_url}/vr_api/sessions",
        json={"client_id": clients[0]["id"]},
        headers={"Authorization": f"Bearer {professional}"},
        timeout=10,
    )
    assert opened.status_code == 201, opened.text
    paired = requests.post(
        f"{SMOKE.functions_url}/vr_headset_api/pair",
        json={"code": opened.json()["pairing_code"]},
        timeout=10,
    )
    assert paired.status_code == 201, paired.text
    signed_in = requests.post(
        f"http://127.0.0.1:{SMOKE.auth}/identitytoolkit.googleapis.com/v1/"
        "accounts:signInWithCustomToken?key=any",
        json={"token": paired.json()["custom_token"], "returnSecureToken": True},
        timeout=10,
    )
    assert signed_in.status_code == 200, signed_in.text
    headset = str(signed_in.json()["idToken"])
    for film in films:
        url = _get(f"/vr_headset_api/films/{film}/url", headset)["url"]
        assert requests.get(url, timeout=10).content == b"demo film"


def _check_status_page(output: str) -> None:
    """`make up` prints the status page, which shows the demo incident and maintenance."""
    page = f"{SMOKE.functions_url}/status_page/"
    assert f"Status page: {page}" in output
    summary = requests.get(f"{page}api/v2/summary.json", timeout=10).json()
    planned = DEMO_DATA["status"]["maintenance"]["title"]["da"]
    assert [m["name"] for m in summary["scheduled_maintenances"]] == [planned]
    html = requests.get(page, timeout=10).text
    assert DEMO_DATA["status"]["incident"]["title"]["da"] in html  # in the history
    assert DEMO_DATA["status"]["incident"]["updates"][-1]["cause"]["da"] in html


def test_up_prints_ready_and_demo_logins_that_sign_in_then_ctrl_c_stops_everything() -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
    up = subprocess.Popen(
        [sys.executable, "-m", "emulators", "--profile", "smoke", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert up.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            line = up.stdout.readline()
            assert line or up.poll() is None, "".join(lines)
            lines.append(line)
            assert time.monotonic() < deadline, "".join(lines)
        output = "".join(lines)
        assert "Trivsel is ready" in output
        logins = re.findall(
            r"^\s+(admin|professional|support)\s+(\S+@\S+)\s+password: (\S+)$",
            output,
            flags=re.MULTILINE,
        )
        assert {role for role, _, _ in logins} == {"admin", "professional", "support"}
        _, email, password = next(login for login in logins if login[0] == "admin")

        signed_in = requests.post(
            f"http://127.0.0.1:{SMOKE.auth}/identitytoolkit.googleapis.com/v1/"
            "accounts:signInWithPassword?key=any",
            json={"email": email, "password": password, "returnSecureToken": True},
            timeout=10,
        )
        assert signed_in.status_code == 200, signed_in.text
        me = requests.get(
            f"{SMOKE.functions_url}/auth_api/me",
            timeout=10,
            headers={"Authorization": f"Bearer {signed_in.json()['idToken']}"},
        )
        assert me.json()["role"] == "admin"
        assert me.json()["tenant_id"] == "demo"
        for fn in ("auth_api", "deliver_message"):
            assert f"{SMOKE.functions_url}/{fn}/" in output
        _, email, password = next(login for login in logins if login[0] == "professional")
        _check_demo_tenant(_sign_in(email, password))
        _check_vr(_sign_in(email, password))
        _check_status_page(output)
        _, email, password = next(login for login in logins if login[0] == "support")
        queue = _get("/support_tickets/queue", _sign_in(email, password))["tickets"]
        assert [t["sla"]["priority"] for t in queue] == ["betydelig"], queue
        system_owner = next(u for u in DEMO_USERS if u.role is Role.OWNER)
        rota = requests.get(
            f"{SMOKE.functions_url}/support_incidents/desk/rota",
            timeout=10,
            headers={
                "Authorization": f"Bearer {_sign_in(system_owner.email, system_owner.password)}"
            },
        )
        assert rota.status_code == 200, rota.text
        assert [rota.json()["primary_name"], rota.json()["secondary_name"]] == [
            p["display_name"] for p in DEMO_DATA["on_call"]
        ]
    finally:
        up.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert up.wait(timeout=60) == 0

    # Nothing is left behind: every port of the stack is free again.
    assert [port for port in SMOKE.ports().values() if not port_free(port)] == []
    assert not (SMOKE.state_dir / "stack.pid").exists()


@pytest.mark.usefixtures("stack")
def test_starting_a_second_stack_of_the_same_profile_is_refused_clearly() -> None:
    reply = subprocess.run(
        [sys.executable, "-m", "emulators", "--profile", "test", "up"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert reply.returncode == 2
    assert "already running" in reply.stderr
    assert "Stop it first" in reply.stderr


def test_a_taken_port_is_named_in_the_refusal(tmp_path: object) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        profile = dataclasses.replace(SMOKE, name="taken", firestore=port)
        with pytest.raises(StackError, match=rf"{port} \(Firestore emulator\)"):
            Stack(profile).start()
    assert not (profile.state_dir / "stack.pid").exists()
