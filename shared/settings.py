"""Process settings: the one place that knows whether we run against emulators or production.

Everything is read from the environment once per process. Local stacks export the
emulator variables (FIRESTORE_EMULATOR_HOST, ...); production sets none of them.
Resource names (topics, queues, buckets, function URLs) are not written here: the
deployment and the local stack hand them over from infra/deployment.toml, in the
variables RESOURCE_VARIABLES names. (A tenant's own choices are its preferences, in
shared/tenants.py, not settings.)
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import Field

from shared.models import Model

# The variable each resource binding is read from; infra/deployment.toml names the
# same variables (`env = ...`) and a test checks that the two agree.
RESOURCE_VARIABLES = {
    "message_topic": "TRIVSEL_MESSAGE_TOPIC",
    "scheduled_message_queue": "TRIVSEL_SCHEDULED_MESSAGE_QUEUE",
    "reminder_queue": "TRIVSEL_REMINDER_QUEUE",
    "password_reset_queue": "TRIVSEL_PASSWORD_RESET_QUEUE",
    "sla_alert_queue": "TRIVSEL_SLA_ALERT_QUEUE",
    "vr_break_queue": "TRIVSEL_VR_BREAK_QUEUE",
    "incident_queue": "TRIVSEL_INCIDENT_QUEUE",
    "uploads_bucket": "TRIVSEL_UPLOADS_BUCKET",
    "backups_bucket": "TRIVSEL_BACKUPS_BUCKET",
    "exports_bucket": "TRIVSEL_EXPORTS_BUCKET",
    "remote_task_page_url": "TRIVSEL_REMOTE_TASK_PAGE_URL",
    "status_page_url": "TRIVSEL_STATUS_PAGE_URL",
}
# A queue's variable names the queue; <variable>_URL is where its tasks are sent.
QUEUE_URL_SUFFIX = "_URL"


class ResourceMissing(RuntimeError):
    """A resource binding the code needs is not in the environment (a deployment fault)."""


class QueueBinding(Model, frozen=True):
    name: str
    target_url: str  # the internal function its tasks call


class Settings(Model, frozen=True):
    project_id: str
    environment: Literal["emulator", "production"]
    region: str = ""  # TRIVSEL_REGION, from the deployment's description
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
    # The resource bindings (see RESOURCE_VARIABLES); None where this process has none.
    bindings: dict[str, str] = Field(default_factory=dict)
    # Cloud Tasks calls internal functions with an OIDC token for this account.
    invoker_service_account: str = ""
    message_max_attempts: int = Field(default=5, ge=1)
    # First retry waits this long; each later one twice as long, capped at the max.
    message_backoff_base_s: float = Field(default=10.0, ge=0)
    message_backoff_max_s: float = Field(default=600.0, ge=0)
    # The key that wraps each tenant's data key (32 bytes, base64 in TRIVSEL_CLIENT_KEK).
    client_data_kek: bytes | None = Field(default=None, repr=False, min_length=32, max_length=32)
    # Signs remote-task links (32 bytes, base64 in TRIVSEL_LINK_SECRET).
    link_secret: bytes | None = Field(default=None, repr=False, min_length=32)
    # A delivery attempt holds the message this long; a crashed attempt frees it afterwards.
    message_lease_s: float = Field(default=60.0, gt=0)
    # Structured request logs and metrics (TRIVSEL_OBSERVABILITY=off: the benchmark's
    # baseline host only, to measure what they cost).
    observability: bool = True
    # A request with X-Trivsel-Fault fails with an unexpected error (TRIVSEL_TEST_FAULTS=1):
    # the test stack only, and never without emulators, so production cannot have it.
    test_faults: bool = False
    # One outbound call's in-process retries take at most this long (shared/retrying.py).
    retry_deadline_s: float = Field(default=10.0, gt=0)

    @property
    def uses_emulators(self) -> bool:
        return self.environment == "emulator"

    def binding(self, field: str) -> str:
        value = self.bindings.get(field)
        if not value:
            raise ResourceMissing(
                f"{RESOURCE_VARIABLES[field]} is not set: infra/deployment.toml binds it"
            )
        return value

    def queue(self, field: str) -> QueueBinding:
        url = self.bindings.get(field + QUEUE_URL_SUFFIX.lower())
        if not url:
            raise ResourceMissing(f"{RESOURCE_VARIABLES[field]}{QUEUE_URL_SUFFIX} is not set")
        return QueueBinding(name=self.binding(field), target_url=url)

    @property
    def message_topic(self) -> str:
        return self.binding("message_topic")

    @property
    def uploads_bucket(self) -> str:
        return self.binding("uploads_bucket")

    @property
    def backups_bucket(self) -> str:
        return self.binding("backups_bucket")

    @property
    def exports_bucket(self) -> str:
        return self.binding("exports_bucket")

    @property
    def remote_task_page_url(self) -> str:
        return self.binding("remote_task_page_url")

    @property
    def status_page_url(self) -> str:
        return self.binding("status_page_url")


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _bindings(env: Mapping[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for field, variable in RESOURCE_VARIABLES.items():
        if env.get(variable):
            found[field] = env[variable]
        if env.get(variable + QUEUE_URL_SUFFIX):
            found[field + QUEUE_URL_SUFFIX.lower()] = env[variable + QUEUE_URL_SUFFIX]
    return found


def settings_from_env(env: Mapping[str, str] = os.environ) -> Settings:
    """Build settings from environment variables (see README, "Settings")."""
    emulated = bool(env.get("FIRESTORE_EMULATOR_HOST"))
    project = env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCLOUD_PROJECT") or ""
    if not project:
        raise RuntimeError("GOOGLE_CLOUD_PROJECT is not set")
    values: dict[str, object] = {
        "project_id": project,
        "environment": "emulator" if emulated else "production",
        "firestore_emulator_host": env.get("FIRESTORE_EMULATOR_HOST"),
        "pubsub_emulator_host": env.get("PUBSUB_EMULATOR_HOST"),
        "auth_emulator_host": env.get("FIREBASE_AUTH_EMULATOR_HOST"),
        "storage_emulator_host": env.get("STORAGE_EMULATOR_HOST"),
        "tasks_emulator_host": env.get("CLOUD_TASKS_EMULATOR_HOST"),
        "aws_endpoint_url": env.get("AWS_ENDPOINT_URL"),
        "cors_origins": _csv(env.get("TRIVSEL_CORS_ORIGINS")),
        "bindings": _bindings(env),
        "invoker_service_account": env.get("TRIVSEL_INVOKER_ACCOUNT", ""),
    }
    optional = {
        "region": "TRIVSEL_REGION",
        "aws_region": "AWS_DEFAULT_REGION",
        "mail_sender": "TRIVSEL_MAIL_SENDER",
        "sms_sender_id": "TRIVSEL_SMS_SENDER_ID",
        "message_max_attempts": "TRIVSEL_MESSAGE_MAX_ATTEMPTS",
        "message_backoff_base_s": "TRIVSEL_MESSAGE_BACKOFF_BASE_S",
        "message_backoff_max_s": "TRIVSEL_MESSAGE_BACKOFF_MAX_S",
        "message_lease_s": "TRIVSEL_MESSAGE_LEASE_S",
        "retry_deadline_s": "TRIVSEL_RETRY_DEADLINE_S",
    }
    values["observability"] = env.get("TRIVSEL_OBSERVABILITY", "on") != "off"
    values["test_faults"] = emulated and env.get("TRIVSEL_TEST_FAULTS") == "1"
    if env.get("TRIVSEL_LINK_SECRET"):
        values["link_secret"] = base64.b64decode(env["TRIVSEL_LINK_SECRET"], validate=True)
    if env.get("TRIVSEL_CLIENT_KEK"):
        values["client_data_kek"] = base64.b64decode(env["TRIVSEL_CLIENT_KEK"], validate=True)
    for field, name in optional.items():
        if env.get(name):
            values[field] = env[name]
    return Settings.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return settings_from_env()
