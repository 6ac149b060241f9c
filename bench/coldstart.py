"""Cold start as a user feels it: a fresh interpreter imports the function, builds it as
Cloud Functions does (functions-framework `create_app`) and serves its first real
request, with a real token, against the stack. The floor is a bare function that does
its first raw Firestore read (bench/cold_function.py).

Both run as they are deployed: from the source folder `infra/deploy.py` stages (the
area and shared/ only), in a virtualenv holding only the runtime requirements
(`.venv-bench-runtime`, built once), so what the development virtualenv adds — test
tools, an editable install's import hook — is not counted.

The child (bench/cold_child.py) keeps to the standard library until the clock runs, so
the figure is what the function costs, not what the bench costs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHILD = Path(__file__).with_name("cold_child.py")
RUNTIME_VENV = ".venv-bench-runtime"


@dataclass(frozen=True)
class FirstRequest:
    label: str
    target: str
    source: str  # path to main.py, relative to the repository
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None


def runtime_python() -> Path:
    """The interpreter of a virtualenv with the runtime requirements only, as a deployed
    function has; rebuilt when the requirements change."""
    from infra.deploy import runtime_requirements
    from infra.deployment import ROOT

    requirements = "\n".join(runtime_requirements()) + "\n"
    venv = ROOT / RUNTIME_VENV
    stamp = venv / ".requirements-sha256"
    digest = hashlib.sha256(requirements.encode()).hexdigest()
    python = venv / "bin" / "python"
    if not (stamp.exists() and stamp.read_text() == digest):
        print(f"  building {RUNTIME_VENV} (runtime requirements only)...", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        (venv / "requirements.txt").write_text(requirements)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(venv / "requirements.txt"),
            ],
            check=True,
        )
        stamp.write_text(digest)
    return python


def stage_sources(folder: Path) -> Path:
    """Stage every area as infra/deploy.py does, and the floor beside them."""
    from infra.deploy import stage
    from infra.deployment import ROOT, load

    stage(load(), folder)
    (folder / "floor").mkdir()
    shutil.copy(ROOT / "bench" / "cold_function.py", folder / "floor" / "main.py")
    (folder / "hello").mkdir()
    shutil.copy(ROOT / "bench" / "hello_function.py", folder / "hello" / "main.py")
    return folder


def run_once(request: FirstRequest, python: Path, staged: Path) -> dict[str, Any]:
    source = staged / request.source
    env = {k: v for k, v in os.environ.items() if k not in {"TRIVSEL_ROUNDTRIPS", "PYTHONPATH"}}
    env["PYTHONPATH"] = str(source.parent)  # as the deployed function's root
    spec = json.dumps(
        {
            "target": request.target,
            "source": str(source),
            "method": request.method,
            "path": request.path,
            "headers": request.headers,
            "json": request.json,
        }
    )
    out = subprocess.run(
        [str(python), str(CHILD), spec],
        cwd=source.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{request.label}: exit {out.returncode}\n{out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


@dataclass(frozen=True)
class World:
    """What the first requests need: a tenant with a client, a remote task and its link."""

    tenant_id: str
    token: str  # the tenant administrator's ID token
    owner_token: str  # the system owner's
    client_id: str
    task_id: str
    version: int
    link: str


Request = tuple[str, str, dict[str, str], Any]  # method, path, headers, JSON body


def request_table(w: World) -> dict[str, Request]:
    """Each HTTP function's first real request: a route of its own that reads (or, for a
    task target, handles a task), so the figure includes its handler's imports."""
    admin = {"Authorization": f"Bearer {w.token}"}
    owner = {"Authorization": f"Bearer {w.owner_token}"}
    return {
        "auth_api": ("GET", "/me", admin, None),
        "send_password_reset": ("POST", "/", {}, {"email": "nobody-bench@example.dk"}),
        "clients_api": ("GET", f"/clients/{w.client_id}", admin, None),
        "remote_tasks_api": ("GET", f"/remote-tasks/{w.task_id}", admin, None),
        "remote_task_page": ("GET", f"/{w.link}", {"X-Forwarded-For": "10.255.0.1"}, None),
        "release_scheduled_message": (
            "POST",
            "/",
            {},
            {"tenant_id": w.tenant_id, "message_ids": [f"rt-{w.task_id}-v{w.version}"]},
        ),
        "remind_remote_task": (
            "POST",
            "/",
            {},
            {"tenant_id": w.tenant_id, "tasks": [{"task_id": w.task_id, "version": w.version}]},
        ),
        # The hourly run of open windows: the nightly run at "/" backs up every tenant.
        "nightly_maintenance": ("POST", "/windows", {}, None),
        "subprocessor_page": ("GET", "/", {}, None),
        "support_api": ("GET", f"/jobs?tenant_id={w.tenant_id}", owner, None),
        "support_tickets": ("GET", "/tickets", admin, None),
        "sla_alert": (
            "POST",
            "/",
            {},
            {"tenant_id": w.tenant_id, "ticket_id": "nobench", "kind": "warning", "version": 0},
        ),
        "status_page": ("GET", "/", {}, None),
        "status_admin": ("GET", "/incidents", owner, None),
        "support_incidents": ("GET", "/incidents", owner, None),
        "incident_task": ("POST", "/", {}, {"kind": "page", "incident_id": "nobench", "step": 0}),
        # A session that does not exist, a code nobody was given: real routes that read.
        "vr_api": ("GET", "/sessions/nobench", admin, None),
        "vr_headset_api": ("POST", "/pair", {"X-Forwarded-For": "10.255.0.2"}, {"code": "ZZZZZZ"}),
        "vr_break_check": (
            "POST",
            "/",
            {},
            {"tenant_id": w.tenant_id, "session_id": "nobench", "run": 0},
        ),
    }


def first_requests(w: World) -> list[FirstRequest]:
    """The first real request of every HTTP function of infra/deployment.toml; a function
    without one stops the bench (tests/bench/test_coldstart.py checks the table)."""
    from infra.deployment import load

    table = request_table(w)
    requests = []
    for fn in load().functions:
        if fn.trigger != "http":
            continue
        method, path, headers, body = table[fn.name]
        requests.append(
            FirstRequest(
                f"{fn.name} {method} {path[:24]}",
                fn.name,
                f"{fn.area}/main.py",
                method,
                path,
                headers,
                body,
            )
        )
    return requests


def bench_cold_starts(requests: list[FirstRequest], tenant_id: str, runs: int) -> None:
    import statistics

    from bench.common import heading

    floor = FirstRequest(
        "baseline: bare function, first raw Firestore read",
        "first_read",
        "floor/main.py",
        "GET",
        f"/?tenant={tenant_id}",
    )
    hello = FirstRequest("(bare hello, no Firestore)", "hello", "hello/main.py", "GET", "/")
    heading(
        f"Cold start: fresh process, import + first request served, median of {runs} "
        "(target <= 1.5x)"
    )
    import tempfile

    python = runtime_python()
    everything = [floor, hello, *requests]
    results: dict[str, list[dict[str, Any]]] = {r.label: [] for r in everything}
    with tempfile.TemporaryDirectory(prefix="trivsel-cold-") as folder:
        staged = stage_sources(Path(folder))
        for request in everything:  # once untimed: compiles each folder's bytecode
            run_once(request, python, staged)
        for _ in range(runs):  # round robin, so the machine's drift hits every function alike
            for request in everything:
                results[request.label].append(run_once(request, python, staged))
    medians = {
        label: statistics.median(r["seconds"] for r in runs_) for label, runs_ in results.items()
    }
    for request in everything:
        done = results[request.label]
        seconds = medians[request.label]
        imported = statistics.median(r["import_s"] for r in done)
        status = "/".join(str(s) for s in sorted({r["status"] for r in done}))
        ratio = seconds / medians[floor.label]
        print(
            f"  {request.label:<52} {seconds * 1000:7.0f} ms  {ratio:5.2f}x"
            f"  (import {imported * 1000:.0f} ms, HTTP {status})"
        )
