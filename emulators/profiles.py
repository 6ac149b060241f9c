"""Stack profiles: each has its own ports, project id and state folder (.stack/<profile>),
so the test stack can run beside a developer's `make up`; and the environment that
points every client at a profile's emulators."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path

from infra.deployment import ROOT, load

STATE = ROOT / ".stack"
MAIL_SENDER = "no-reply@trivsel.dk"


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


def _ports(first: int) -> tuple[int, int, int, int, int, int, int, int, int]:
    """Nine consecutive ports from `first`; TRIVSEL_PORT_OFFSET (a multiple of 200) moves a
    test or smoke stack, so several test runs can share a machine."""
    start = first + int(os.environ.get("TRIVSEL_PORT_OFFSET", "0"))
    p = list(range(start, start + 9))
    return (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8])


PROFILES = {
    "dev": Profile("dev", "demo-trivsel", 8080, 8085, 9099, 4443, 8123, 5000, 8000, 4400, 4500),
    "test": Profile(
        "test" + os.environ.get("TRIVSEL_PORT_OFFSET", ""),
        "demo-trivsel-test",
        *_ports(18000),
        extra_env={
            "TRIVSEL_MESSAGE_BACKOFF_BASE_S": "0.2",
            "TRIVSEL_MESSAGE_BACKOFF_MAX_S": "1",
            "TRIVSEL_MESSAGE_LEASE_S": "2",
            # X-Trivsel-Fault makes a request fail unexpectedly (shared/observability).
            "TRIVSEL_TEST_FAULTS": "1",
        },
    ),
    # Used by tests/emulators/test_stack.py to run `up` beside the test stack.
    "smoke": Profile(
        "smoke" + os.environ.get("TRIVSEL_PORT_OFFSET", ""),
        "demo-trivsel-smoke",
        *_ports(18100),
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
