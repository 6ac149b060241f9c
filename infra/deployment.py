"""The deployment description, loaded and checked: infra/deployment.toml as typed models.

Both infra/deploy.py (gcloud commands) and emulators/ (the local stack)
read it through `load()`, so the two cannot drift apart.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, model_validator

if TYPE_CHECKING:
    from shared.http import Api

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = ROOT / "infra" / "deployment.toml"
NAME = r"^[a-z][a-z0-9-]{2,62}$"
ENV = r"^[A-Z][A-Z0-9_]{2,62}$"
FUNCTION_NAME = r"^[a-z][a-z0-9_]{2,62}$"
DURATION = r"^[0-9]+(\.[0-9]+)?s$"
Trigger = Literal["http", "pubsub"]
# The functions-framework signature each trigger needs.
SIGNATURE = {"http": "http", "pubsub": "cloudevent"}


class Project(BaseModel, frozen=True):
    region: str
    firestore_location: str
    runtime: str
    time_zone: str
    cors_origins: tuple[str, ...]
    mail_sender: str
    aws_region: str
    invoker_account: str = Field(pattern=NAME)


class Function(BaseModel, frozen=True):
    name: str = Field(pattern=FUNCTION_NAME)
    source: str = Field(pattern=r"^functions/[a-z]+$")
    trigger: Trigger
    topic: str | None = None
    retry: bool = False
    # Public HTTP functions authenticate callers themselves (Firebase ID tokens). Internal
    # ones are invoked only by Cloud Tasks / Cloud Scheduler with an OIDC token, which
    # Google checks before the request reaches the code (IAM run.invoker).
    public: bool = True
    # A JSON API described in the OpenAPI document (false for the remote-task web page).
    api: bool = True
    memory: str = "256Mi"
    timeout: str = "60s"
    description: str
    # The Secret Manager secrets this function gets (names of [[secrets]]), and no others.
    secrets: tuple[str, ...] = ()
    # Where every function finds this function's URL (e.g. the page a link opens).
    url_env: str | None = Field(default=None, pattern=ENV)

    @model_validator(mode="after")
    def _topic_iff_pubsub(self) -> Self:
        if (self.trigger == "pubsub") != (self.topic is not None):
            raise ValueError(f"{self.name}: a topic is given exactly for pubsub triggers")
        if self.trigger == "pubsub" and self.public:
            raise ValueError(f"{self.name}: a pubsub function is never public")
        return self

    @property
    def area(self) -> str:
        return self.source.removeprefix("functions/")

    @property
    def module(self) -> str:
        return self.source.replace("/", ".") + ".main"

    @property
    def url_path(self) -> str:
        """Local path of the function on the functions host (trailing slash: see LOCAL-STACK)."""
        return f"/{self.name}/"


class Topic(BaseModel, frozen=True):
    name: str = Field(pattern=NAME)
    env: str | None = Field(default=None, pattern=ENV)
    dead_letter_topic: str | None = None
    max_delivery_attempts: int = Field(default=5, ge=5, le=100)
    min_backoff: str = Field(default="10s", pattern=DURATION)
    max_backoff: str = Field(default="600s", pattern=DURATION)


class Queue(BaseModel, frozen=True):
    name: str = Field(pattern=NAME)
    # Holds the queue's name; <env>_URL holds its target's URL.
    env: str | None = Field(default=None, pattern=ENV)
    target: str  # an HTTP function
    path: str = "/"
    max_attempts: int = Field(default=5, ge=1)
    min_backoff: str = Field(default="10s", pattern=DURATION)
    max_backoff: str = Field(default="600s", pattern=DURATION)
    max_dispatches_per_second: float = Field(default=10, gt=0)


class Schedule(BaseModel, frozen=True):
    name: str = Field(pattern=NAME)
    cron: str = Field(pattern=r"^\S+ \S+ \S+ \S+ \S+$")
    time_zone: str
    target: str  # an HTTP function
    path: str = "/"
    description: str

    @model_validator(mode="after")
    def _known_time_zone(self) -> Self:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{self.name}: unknown time zone {self.time_zone!r}") from None
        return self


class Bucket(BaseModel, frozen=True):
    suffix: str = Field(pattern=r"^[a-z][a-z0-9-]{1,30}$")
    env: str | None = Field(default=None, pattern=ENV)
    description: str
    lifecycle_delete_age_days: int | None = Field(default=None, ge=1)
    # Object versioning: an overwritten or deleted object stays as a noncurrent version,
    # deleted this many days after it became noncurrent (with the backups' retention).
    versioning: bool = False
    noncurrent_delete_age_days: int | None = Field(default=None, ge=1)

    def name(self, project_id: str) -> str:
        return f"{project_id}-{self.suffix}"


class Secret(BaseModel, frozen=True):
    name: str = Field(pattern=NAME)
    env: str = Field(pattern=ENV)
    description: str


class Alert(BaseModel, frozen=True):
    """A Cloud Monitoring alert policy on one of our metrics (shared/observability/metrics.py)."""

    name: str = Field(pattern=NAME)
    description: str  # why it matters: the policy's documentation for whoever is paged
    metric: str  # an instrument's name, e.g. "trivsel.requests"
    labels: dict[str, str] = {}  # metric.label.<key> = "<value>"
    # "rate" (per second), "delta" (count in the window), "max" (a gauge's value), or
    # "absent": the condition holds when no point matched for `duration`.
    aligner: Literal["rate", "delta", "max", "absent"]
    comparison: Literal[">", "<"] = ">"
    threshold: float = 0
    # With it, the condition is the ratio of the metric (with `labels`) to the same
    # metric with these labels (an empty table: all of it), e.g. 5xx / all requests.
    ratio_to: dict[str, str] | None = None
    group_by: tuple[str, ...] = ()
    window: str = Field(default="300s", pattern=DURATION)
    duration: str = Field(default="0s", pattern=DURATION)


class Uptime(BaseModel, frozen=True):
    """The uptime check of every public HTTP function: GET <its URL>/healthz."""

    path: str = "/healthz"
    # Public pages checked as a visitor sees them too (GET of the page itself, e.g. the
    # status page, which reads Firestore where /healthz does not).
    pages: tuple[str, ...] = ()
    period_minutes: Literal[1, 5, 10, 15] = 5
    timeout: str = Field(default="10s", pattern=DURATION)
    # Uptime checks need at least three regions; they send no data, only a GET.
    regions: tuple[str, ...] = Field(default=("europe", "usa-oregon", "asia-pacific"), min_length=3)


class Deployment(BaseModel, frozen=True):
    project: Project
    functions: tuple[Function, ...]
    topics: tuple[Topic, ...] = ()
    queues: tuple[Queue, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    secrets: tuple[Secret, ...] = ()
    alerts: tuple[Alert, ...] = ()
    uptime: Uptime = Uptime()

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        names = [f.name for f in self.functions]
        if len(set(names)) != len(names):
            raise ValueError("function names must be unique")
        topics = {t.name for t in self.topics}
        internal = {f.name for f in self.functions if f.trigger == "http" and not f.public}
        for function in self.functions:
            if function.topic is not None and function.topic not in topics:
                raise ValueError(f"{function.name}: topic {function.topic!r} is not declared")
        for topic in self.topics:
            if topic.dead_letter_topic is not None and topic.dead_letter_topic not in topics:
                raise ValueError(f"{topic.name}: dead-letter topic is not declared")
        for target in [q.target for q in self.queues] + [s.target for s in self.schedules]:
            if target not in internal:
                raise ValueError(f"{target!r} is not an internal (public = false) HTTP function")
        secrets = {s.name for s in self.secrets}
        for function in self.functions:
            if unknown := set(function.secrets) - secrets:
                raise ValueError(f"{function.name}: secrets {sorted(unknown)} are not declared")
        return self

    def function(self, name: str) -> Function:
        return next(f for f in self.functions if f.name == name)

    def resource_names(self) -> set[str]:
        """Every name of a resource: what code must never spell out itself."""
        return (
            {f.name for f in self.functions}
            | {t.name for t in self.topics}
            | {q.name for q in self.queues}
            | {s.name for s in self.schedules}
            | {b.suffix for b in self.buckets}
            | {s.name for s in self.secrets}
            | {self.project.invoker_account}
        )

    def resource_env(self, project_id: str, function_url: Callable[[str], str]) -> dict[str, str]:
        """The environment that hands every resource binding to the code."""
        env = {
            "TRIVSEL_REGION": self.project.region,
            "TRIVSEL_INVOKER_ACCOUNT": (
                f"{self.project.invoker_account}@{project_id}.iam.gserviceaccount.com"
            ),
        }
        for topic in self.topics:
            if topic.env:
                env[topic.env] = topic.name
        for queue in self.queues:
            if queue.env:
                env[queue.env] = queue.name
                env[queue.env + "_URL"] = function_url(queue.target) + queue.path.lstrip("/")
        for bucket in self.buckets:
            if bucket.env:
                env[bucket.env] = bucket.name(project_id)
        for function in self.functions:
            if function.url_env:
                env[function.url_env] = function_url(function.name)
        return env

    def subscription_name(self, function: Function) -> str:
        return f"{function.topic}-{function.name.replace('_', '-')}"

    @property
    def areas(self) -> list[str]:
        return sorted({f.area for f in self.functions})

    def secrets_of(self, function: Function) -> list[Secret]:
        return [s for s in self.secrets if s.name in function.secrets]


@lru_cache(maxsize=1)
def load(path: Path = DESCRIPTION) -> Deployment:
    with path.open("rb") as file:
        return Deployment.model_validate(tomllib.load(file))


def functions_in_code() -> dict[str, str]:
    """Every entry point in functions/*/main.py: name -> signature type."""
    from shared.http import entry_points

    found: dict[str, str] = {}
    for main in sorted((ROOT / "functions").glob("*/main.py")):
        module = importlib.import_module(f"functions.{main.parent.name}.main")
        found |= {name: signature for name, (signature, _) in entry_points(module).items()}
    return found


def http_apis() -> list[Api]:
    """The Api of every public HTTP function (what the frontend calls), in description order."""
    from shared.http import entry_points

    apis: list[Api] = []
    for function in load().functions:
        if function.trigger != "http" or not function.public or not function.api:
            continue
        _, api = entry_points(importlib.import_module(function.module))[function.name]
        if api is not None:
            apis.append(api)
    return apis
