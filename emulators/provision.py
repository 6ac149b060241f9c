"""Provisioning a stack from infra/deployment.toml: topics, push subscriptions, queues,
buckets and the verified mail sender, as the deployment creates them in production."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from emulators.profiles import MAIL_SENDER, Profile
from infra.deployment import Deployment


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


def provision(p: Profile, d: Deployment, env: dict[str, str]) -> None:
    """Create the topics, push subscriptions, queues and buckets infra/ describes."""
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
    _provision_queues(p, d)
    _provision_mail(env)


def _provision_queues(p: Profile, d: Deployment) -> None:
    if not d.queues:
        return
    import grpc
    from google.cloud import tasks_v2
    from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport

    channel = grpc.insecure_channel(f"127.0.0.1:{p.tasks}")
    client = tasks_v2.CloudTasksClient(transport=CloudTasksGrpcTransport(channel=channel))
    parent = f"projects/{p.project_id}/locations/{d.project.region}"
    for queue in d.queues:
        client.create_queue(
            parent=parent, queue=tasks_v2.Queue(name=f"{parent}/queues/{queue.name}")
        )


def _provision_mail(env: dict[str, str]) -> None:
    import boto3

    ses = boto3.client(
        "ses",
        region_name=env["AWS_DEFAULT_REGION"],
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (moto)
    )
    # SES only sends from verified identities; production verifies the domain.
    ses.verify_email_identity(EmailAddress=MAIL_SENDER)
