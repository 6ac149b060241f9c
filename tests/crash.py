"""Kill tests: a functions host of their own, killed (SIGKILL) at a named crash point.

`crash_at(point, ...)` starts a host against the session's emulators with
TRIVSEL_CRASH_AT=point (shared/faults.py), sends it one request and checks that the
process died of SIGKILL without answering. The recovery then goes to the stack's own
host (a retry) or runs the nightly maintenance with a clock moved past the time after
which a request is presumed dead, so nothing sleeps.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.gcp import firestore_client

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60.0
LATER = timedelta(hours=2)  # past every "presumed dead" limit, inside every retention


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def crash_at(point: str, method: str, path: str, token: str, **kwargs: Any) -> None:
    """Send the request to a host armed at `point`; it must die there, unanswered."""
    port = _free_port()
    env = {**os.environ, "TRIVSEL_CRASH_AT": point}
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.functions_host", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, "the armed host exited before it was ready"
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/healthz", timeout=2).ok:
                    break
            assert time.monotonic() < deadline, "the armed host did not start"
            time.sleep(0.05)
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            reply = requests.request(method, url + path, headers=headers, timeout=60, **kwargs)
        except requests.ConnectionError:
            pass
        else:
            raise AssertionError(f"answered {reply.status_code} instead of dying at {point}")
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def expire_leases() -> None:
    """The lease of every Idempotency-Key still running runs out (its request is dead),
    as if LEASE had passed: a retry may take over at once."""
    from shared.http._idempotency import IDEMPOTENCY_KEYS, LEASE

    db = firestore_client()
    running = db.collection(IDEMPOTENCY_KEYS).where(filter=FieldFilter("state", "==", "running"))
    for snapshot in running.get():
        at = snapshot.get("at")
        snapshot.reference.update({"at": at - LEASE - timedelta(seconds=1)})


def run_maintenance_later() -> None:
    """The nightly maintenance's repairs (the first jobs of every night), as run LATER
    from now; not the backups and drills of every tenant the session has made."""
    from functions.support.maintenance.runner import run_repairs

    report = run_repairs(firestore_client(), lambda: datetime.now(UTC) + LATER)
    assert all(job.finished for job in report.jobs), report


def crash_command(point: str, *argv: str) -> None:
    """Run `python -m ARGV...` armed at `point`: it must die there of SIGKILL (a command
    line or a nightly job killed halfway, without the cost of a functions host)."""
    process = subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=ROOT,
        env={**os.environ, "TRIVSEL_CRASH_AT": point},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert process.returncode == -signal.SIGKILL, (point, process.stderr.decode()[-2000:])
