"""Cold start as a user feels it: a fresh interpreter imports the function, builds it as
Cloud Functions does (functions-framework `create_app`) and serves its first real
request, with a real token, against the stack. The floor is a bare function that does
its first raw Firestore read (bench/cold_function.py).

The child (`child`) keeps to the standard library until the clock runs, so the figure
is what the function costs, not what this module costs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

CHILD = (
    "import time; started = time.perf_counter(); from bench.coldstart import child; child(started)"
)


@dataclass(frozen=True)
class FirstRequest:
    label: str
    target: str
    source: str  # path to main.py, relative to the repository
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None


def child(started: float) -> None:
    """Run in a fresh interpreter: argv[1] is a FirstRequest as JSON."""
    spec = json.loads(sys.argv[1])
    import functions_framework

    app = functions_framework.create_app(  # type: ignore[no-untyped-call]
        target=spec["target"], source=spec["source"], signature_type="http"
    )
    built = time.perf_counter()
    client = app.test_client()
    reply = client.open(
        spec["path"], method=spec["method"], headers=spec["headers"], json=spec["json"]
    )
    reply.get_data()
    done = time.perf_counter()
    print(
        json.dumps(
            {"seconds": done - started, "import_s": built - started, "status": reply.status_code}
        ),
        flush=True,
    )


def run_once(request: FirstRequest) -> dict[str, Any]:
    from infra.deployment import ROOT

    env = {k: v for k, v in os.environ.items() if k != "TRIVSEL_ROUNDTRIPS"}
    spec = json.dumps(
        {
            "target": request.target,
            "source": str(ROOT / request.source),
            "method": request.method,
            "path": request.path,
            "headers": request.headers,
            "json": request.json,
        }
    )
    out = subprocess.run(
        [sys.executable, "-c", CHILD, spec],
        cwd=ROOT,
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


def first_requests(
    tenant_id: str, token: str, client_id: str, task_id: str, version: int, link: str
) -> list[FirstRequest]:
    """The first real request of every HTTP function of infra/deployment.toml."""
    from infra.deployment import load

    bearer = {"Authorization": f"Bearer {token}"}
    by_function = {
        "auth_api": ("GET", "/me", bearer, None),
        "send_password_reset": ("POST", "/", {}, {"email": "nobody-bench@example.dk"}),
        "clients_api": ("GET", f"/clients/{client_id}", bearer, None),
        "remote_tasks_api": ("GET", f"/remote-tasks/{task_id}", bearer, None),
        "remote_task_page": ("GET", f"/{link}", {"X-Forwarded-For": "10.255.0.1"}, None),
        "release_scheduled_message": (
            "POST",
            "/",
            {},
            {"tenant_id": tenant_id, "message_ids": [f"rt-{task_id}-v{version}"]},
        ),
        "remind_remote_task": (
            "POST",
            "/",
            {},
            {"tenant_id": tenant_id, "tasks": [{"task_id": task_id, "version": version}]},
        ),
        "nightly_maintenance": ("POST", "/", {}, None),
    }
    requests = []
    for fn in load().functions:
        if fn.trigger != "http":
            continue
        if fn.name not in by_function:
            print(f"  (no first request known for {fn.name}: add one to bench/coldstart.py)")
            continue
        method, path, headers, body = by_function[fn.name]
        requests.append(
            FirstRequest(
                f"{fn.name} {method} {path[:24]}",
                fn.name,
                f"{fn.source}/main.py",
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
        "bench/cold_function.py",
        "GET",
        f"/?tenant={tenant_id}",
    )
    hello = FirstRequest(
        "(bare hello, no Firestore)", "hello", "bench/hello_function.py", "GET", "/"
    )
    heading(
        f"Cold start: fresh process, import + first request served, median of {runs} "
        "(target <= 1.5x)"
    )
    everything = [floor, hello, *requests]
    results: dict[str, list[dict[str, Any]]] = {r.label: [] for r in everything}
    for _ in range(runs):  # round robin, so the machine's drift hits every function alike
        for request in everything:
            results[request.label].append(run_once(request))
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
