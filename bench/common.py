"""What every benchmark needs: percentiles, the bench's own functions hosts, accounts,
the catalogue, and printing."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from infra.deployment import ROOT

LOGS = ROOT / ".stack" / "bench"
SERVICES = ("firestore", "auth", "pubsub", "tasks")
SHORT = {"firestore": "FS", "auth": "Auth", "pubsub": "PS", "tasks": "CT"}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def median(values: list[float]) -> float:
    return statistics.median(values)


def env_url(variable: str) -> str:
    return os.environ[variable].rstrip("/")


def heading(text: str) -> None:
    print(f"\n{text}", flush=True)


# -- the bench's own functions hosts -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """The host goes when the bench goes, however the bench ends (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Host:
    """A functions host of the bench's own (TRIVSEL_ROUNDTRIPS=1), against the stack's
    emulators: counts its round trips and serves the baseline functions."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    delays: dict[str, int]

    def reset(self) -> None:
        requests.post(f"{self.url}/_bench/roundtrips/reset", timeout=10).raise_for_status()

    def counts(self) -> dict[str, Any]:
        reply = requests.get(f"{self.url}/_bench/roundtrips", timeout=10)
        reply.raise_for_status()
        counted: dict[str, Any] = reply.json()
        return counted

    def memory(self) -> dict[str, Any]:
        reply = requests.get(f"{self.url}/_bench/memory", timeout=10)
        reply.raise_for_status()
        measured: dict[str, Any] = reply.json()
        return measured

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_host(
    name: str, delays: dict[str, int] | None = None, extra_env: dict[str, str] | None = None
) -> Host:
    """Start a host (not waiting for it: see wait_ready)."""
    delays = delays or {}
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIVSEL_DELAY_")}
    env["TRIVSEL_ROUNDTRIPS"] = "1"
    env.update(extra_env or {})
    for service, value in delays.items():
        env[f"TRIVSEL_DELAY_{service.upper()}_MS"] = str(value)
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / f"host-{name}.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulators.functions_host", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
    return Host(name, f"http://127.0.0.1:{port}", process, delays)


def wait_ready(host: Host, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.process.poll() is not None:
            raise RuntimeError(f"bench host {host.name} exited; see {LOGS}/host-{host.name}.log")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{host.url}/healthz", timeout=2).ok:
                return
        time.sleep(0.2)
    raise RuntimeError(f"bench host {host.name} not ready after {timeout:.0f} s")


@contextlib.contextmanager
def hosts(specs: dict[str, dict[str, int]]) -> Iterator[dict[str, Host]]:
    started = {name: start_host(name, delays) for name, delays in specs.items()}
    try:
        for host in started.values():
            wait_ready(host)
        yield started
    finally:
        for host in started.values():
            host.stop()


def per_request(counts: dict[str, Any], requests_made: int) -> dict[str, Any]:
    """Round trips per request, per service and per method."""
    n = max(requests_made, 1)
    return {
        **{s: counts.get(s, 0) / n for s in SERVICES},
        "methods": {k: v / n for k, v in counts.get("methods", {}).items()},
    }


def add_counts(total: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    methods = dict(total.get("methods", {}))
    for key, value in more.get("methods", {}).items():
        methods[key] = methods.get(key, 0) + value
    return {**{s: total.get(s, 0) + more.get(s, 0) for s in SERVICES}, "methods": methods}


def trips(counted: dict[str, Any]) -> str:
    """`FS 3 Auth 0 PS 0 CT 0` (per request)."""
    return " ".join(f"{SHORT[s]} {_num(counted.get(s, 0))}" for s in SERVICES)


def methods(counted: dict[str, Any]) -> str:
    parts = [
        f"{key.split('/', 1)[1]} {_num(value)}"
        for key, value in sorted(counted.get("methods", {}).items())
        if value
    ]
    return ", ".join(parts) or "none"


def _num(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.005 else f"{value:.2f}"


# -- accounts and catalogue -----------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    token: str  # the administrator's ID token
    uid: str


@dataclass(frozen=True)
class Catalogue:
    area: str
    exercise: str
    course: str


_OWNER: list[str] = []


def owner() -> str:
    from tests.accounts import owner_token

    if not _OWNER:
        _OWNER.append(owner_token())
    return _OWNER[0]


def api(method: str, path: str, token: str | None, base: str | None = None, **kw: Any) -> Any:
    """A call to a function of the stack's own host (setup, not measured)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = (base or env_url("TRIVSEL_FUNCTIONS_URL")) + path
    reply = requests.request(method, url, headers=headers, timeout=120, **kw)
    if reply.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:300]}")
    return reply.json() if reply.content else None


def put_item(kind: str, item_id: str, body: dict[str, Any]) -> None:
    api("PUT", f"/clients_api/catalogue/{kind}/{item_id}", owner(), json=body)


def catalogue() -> Catalogue:
    """A focus area of the bench's own with a remote-able exercise and a course."""
    area = f"bench-{uuid.uuid4().hex[:6]}"
    put_item("focus-areas", area, {"name": "Bench"})
    put_item(
        "exercises",
        f"{area}-ex",
        {
            "focus_area": area,
            "title": "Refleksion",
            "content": {"kind": "reflection", "fields": [{"id": "a", "label": "A?"}]},
        },
    )
    put_item(
        "courses",
        f"{area}-course",
        {
            "focus_area": area,
            "title": "Forløb",
            "modules": [{"id": "m", "title": "M", "exercise_ids": [f"{area}-ex"]}],
        },
    )
    return Catalogue(area, f"{area}-ex", f"{area}-course")


def tenant(focus_areas: list[str], seats: int = 3) -> Tenant:
    """A tenant provisioned through auth_api, its administrator signed in (tests/accounts)."""
    from tests.accounts import active_tenant

    created = active_tenant(owner(), seats=seats, focus_areas=focus_areas)
    return Tenant(str(created["slug"]), str(created["admin_token"]), str(created["admin_uid"]))


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started
