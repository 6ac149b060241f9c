"""Settings: the one place that knows whether we run against emulators or production.

Everything is read from the environment once per process. Local stacks export the
emulator variables (FIRESTORE_EMULATOR_HOST, ...); production sets none of them.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field

# The service account that Cloud Tasks and Cloud Scheduler use to call internal functions.
INVOKER_ACCOUNT_ID = "trivsel-invoker"


class Settings(BaseModel, frozen=True):
    project_id: str
    environment: Literal["emulator", "production"]
    region: str = "europe-west1"
    # Where the HTTP functions are reachable: the push and task targets are built from it.
    functions_base_url: str = ""
    firestore_emulator_host: str | None = None
    pubsub_emulator_host: str | None = None
    auth_emulator_host: str | None = None
    storage_emulator_host: str | None = None
    tasks_emulator_host: str | None = None
    aws_endpoint_url: str | None = None
    aws_region: str = "eu-west-1"
    mail_sender: str = "Trivsel <no-reply@trivsel.dk>"
    sms_sender_id: str = "Trivsel"
    cors_origins: tuple[str, ...] = ()
    message_topic: str = "message-requests"
    scheduled_message_queue: str = "scheduled-messages"
    # Cloud Tasks calls internal functions with an OIDC token for this account (infra/deploy.py).
    invoker_service_account: str = ""
    message_max_attempts: int = Field(default=5, ge=1)
    # First retry waits this long; each later one twice as long, capped at the max.
    message_backoff_base_s: float = Field(default=10.0, ge=0)
    message_backoff_max_s: float = Field(default=600.0, ge=0)
    # The key that wraps each tenant's data key (32 bytes, base64 in TRIVSEL_CLIENT_KEK).
    client_data_kek: bytes | None = Field(default=None, repr=False, min_length=32, max_length=32)
    # Signs remote-task links (32 bytes, base64 in TRIVSEL_LINK_SECRET).
    link_secret: bytes | None = Field(default=None, repr=False, min_length=32)
    remote_task_queue: str = "remote-task-reminders"
    # A delivery attempt holds the message this long; a crashed attempt frees it afterwards.
    message_lease_s: float = Field(default=60.0, gt=0)

    @property
    def uses_emulators(self) -> bool:
        return self.environment == "emulator"

    def function_url(self, name: str) -> str:
        """Where another function (or a task) reaches the function `name`."""
        return f"{self.functions_base_url}/{name}/"


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def settings_from_env(env: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
    """Build settings from environment variables (see README, "Settings")."""
    emulated = bool(env.get("FIRESTORE_EMULATOR_HOST"))
    values: dict[str, object] = {
        "project_id": env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCLOUD_PROJECT") or "",
        "environment": "emulator" if emulated else "production",
        "functions_base_url": env.get("TRIVSEL_FUNCTIONS_URL", "").rstrip("/"),
        "firestore_emulator_host": env.get("FIRESTORE_EMULATOR_HOST"),
        "pubsub_emulator_host": env.get("PUBSUB_EMULATOR_HOST"),
        "auth_emulator_host": env.get("FIREBASE_AUTH_EMULATOR_HOST"),
        "storage_emulator_host": env.get("STORAGE_EMULATOR_HOST"),
        "tasks_emulator_host": env.get("CLOUD_TASKS_EMULATOR_HOST"),
        "aws_endpoint_url": env.get("AWS_ENDPOINT_URL"),
        "cors_origins": _csv(env.get("TRIVSEL_CORS_ORIGINS")),
    }
    project = values["project_id"]
    region = env.get("TRIVSEL_REGION") or Settings.model_fields["region"].default
    if not values["functions_base_url"] and project:
        # Cloud Functions' own URL scheme; locally the stack sets TRIVSEL_FUNCTIONS_URL.
        values["functions_base_url"] = f"https://{region}-{project}.cloudfunctions.net"
    values["invoker_service_account"] = f"{INVOKER_ACCOUNT_ID}@{project}.iam.gserviceaccount.com"
    optional = {
        "region": "TRIVSEL_REGION",
        "aws_region": "AWS_DEFAULT_REGION",
        "mail_sender": "TRIVSEL_MAIL_SENDER",
        "sms_sender_id": "TRIVSEL_SMS_SENDER_ID",
        "message_topic": "TRIVSEL_MESSAGE_TOPIC",
        "message_max_attempts": "TRIVSEL_MESSAGE_MAX_ATTEMPTS",
        "message_backoff_base_s": "TRIVSEL_MESSAGE_BACKOFF_BASE_S",
        "message_backoff_max_s": "TRIVSEL_MESSAGE_BACKOFF_MAX_S",
        "message_lease_s": "TRIVSEL_MESSAGE_LEASE_S",
    }
    if env.get("TRIVSEL_LINK_SECRET"):
        values["link_secret"] = base64.b64decode(env["TRIVSEL_LINK_SECRET"], validate=True)
    if env.get("TRIVSEL_CLIENT_KEK"):
        values["client_data_kek"] = base64.b64decode(env["TRIVSEL_CLIENT_KEK"], validate=True)
    for field, name in optional.items():
        if env.get(name):
            values[field] = env[name]
    if not values["project_id"]:
        raise RuntimeError("GOOGLE_CLOUD_PROJECT is not set")
    return Settings.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
