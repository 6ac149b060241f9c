"""Clients for Google Cloud, Firebase and AWS, built once per process from settings.

Against emulators the clients need anonymous credentials (and Cloud Tasks an
explicit insecure channel); in production they use the runtime's service account.
Imports are local so that a function pays only for the clients it uses.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from shared.settings import get_settings

if TYPE_CHECKING:
    import firebase_admin
    import google.cloud.pubsub_v1 as pubsub_v1
    import google.cloud.storage as storage
    from google.cloud import firestore, tasks_v2

    from shared.settings import QueueBinding


def _anonymous() -> Any:
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()  # type: ignore[no-untyped-call]


@lru_cache(maxsize=1)
def firebase_app() -> firebase_admin.App:
    import firebase_admin
    from firebase_admin import credentials

    settings = get_settings()
    from shared.retrying import auth_http_timeout_s

    options: dict[str, Any] = {
        "projectId": settings.project_id,
        "httpTimeout": auth_http_timeout_s(),
    }
    if settings.uses_emulators:

        class _EmulatorCredential(credentials.Base):  # type: ignore[misc]
            def get_credential(self) -> Any:
                return _anonymous()

        return firebase_admin.initialize_app(_EmulatorCredential(), options, name="trivsel")
    return firebase_admin.initialize_app(options=options, name="trivsel")


def _project_options() -> dict[str, Any]:
    """A Google client's project, and anonymous credentials against the emulators."""
    settings = get_settings()
    if settings.uses_emulators:
        return {"project": settings.project_id, "credentials": _anonymous()}
    return {"project": settings.project_id}


@lru_cache(maxsize=1)
def firestore_client() -> firestore.Client:
    from google.cloud import firestore

    from shared.retrying import bound_gapic_defaults

    client = firestore.Client(**_project_options())
    bound_gapic_defaults(client._firestore_api._transport)
    return client


@lru_cache(maxsize=1)
def publisher() -> pubsub_v1.PublisherClient:
    import google.cloud.pubsub_v1 as pubsub_v1

    return pubsub_v1.PublisherClient()


def topic_path(topic: str) -> str:
    return f"projects/{get_settings().project_id}/topics/{topic}"


@lru_cache(maxsize=1)
def storage_client() -> storage.Client:
    import google.cloud.storage as storage

    return storage.Client(**_project_options())


@lru_cache(maxsize=1)
def tasks_client() -> tasks_v2.CloudTasksClient:
    from google.cloud import tasks_v2

    settings = get_settings()
    if settings.tasks_emulator_host:
        import grpc
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

        channel = grpc.insecure_channel(settings.tasks_emulator_host)
        return tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    return tasks_v2.CloudTasksClient()


def queue_path(queue: str) -> str:
    settings = get_settings()
    if not settings.region:
        from shared.settings import ResourceMissing

        raise ResourceMissing("TRIVSEL_REGION is not set: infra/deployment.toml names it")
    return f"projects/{settings.project_id}/locations/{settings.region}/queues/{queue}"


def schedule_call(queue: QueueBinding, body: bytes, at: datetime, task_id: str) -> None:
    """A Cloud Task that POSTs `body` to the queue's function at `at`, once per `task_id`.

    In production the task carries an OIDC token of the invoker account, which IAM
    checks before the function runs; the emulator cannot mint one. Cloud Tasks refuses
    a second task of the same name, so scheduling again is harmless.
    """
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import tasks_v2

    settings = get_settings()
    http = tasks_v2.HttpRequest(
        url=queue.target_url,
        http_method=tasks_v2.HttpMethod.POST,
        headers={"Content-Type": "application/json"},
        body=body,
    )
    if not settings.uses_emulators:
        http.oidc_token = tasks_v2.OidcToken(service_account_email=settings.invoker_service_account)
    parent = queue_path(queue.name)
    task = tasks_v2.Task(name=f"{parent}/tasks/{task_id}", schedule_time=at, http_request=http)
    from shared.retrying import idempotent, request_deadline_s

    # Retried on transient errors: a retry of a task created meanwhile is AlreadyExists.
    with contextlib.suppress(AlreadyExists):
        tasks_client().create_task(
            parent=parent, task=task, retry=idempotent(), timeout=request_deadline_s()
        )


@lru_cache(maxsize=2)
def aws_client(service: str) -> Any:
    """An SES or SNS client; AWS_ENDPOINT_URL points it at moto locally."""
    import boto3

    from shared.retrying import aws_config

    settings = get_settings()
    return boto3.client(
        service,
        region_name=settings.aws_region,
        endpoint_url=settings.aws_endpoint_url,
        config=aws_config(),
    )
