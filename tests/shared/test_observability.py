"""Request ids, structured logs, metrics and health routes, against the stack's functions host."""

from __future__ import annotations

import json
import secrets
from typing import Any

import boto3
import pytest
import requests

from emulators.logs import log_file, request_entries
from emulators.profiles import PROFILES
from infra.deployment import load
from shared.gcp import firestore_client
from shared.messaging import outbox
from shared.messaging.models import MESSAGES, Channel, MessageRequest
from shared.observability import FAULT_HEADER, metrics
from shared.observability.logs import REPORTED_ERROR, TRACE
from shared.settings import get_settings
from shared.tenancy import TenantData
from tests.helpers import call, create_tenant, functions_url, unique, wait_until
from tests.logscan import findings

pytestmark = pytest.mark.usefixtures("stack")
SENDER = "no-reply@trivsel.dk"


def traceparent() -> tuple[str, str]:
    trace = secrets.token_hex(16)
    return trace, f"00-{trace}-{secrets.token_hex(8)}-01"


def host_metrics() -> dict[str, list[dict[str, Any]]]:
    reply = requests.get(functions_url("/_metrics"), timeout=10)
    reply.raise_for_status()
    dump: dict[str, list[dict[str, Any]]] = reply.json()["metrics"]
    return dump


def test_a_500_names_its_request_and_finds_exactly_its_log_lines(tenant: dict[str, Any]) -> None:
    token = tenant["admin_token"]
    other_trace, other = traceparent()
    assert call("GET", "/clients_api/clients", token, headers={"traceparent": other}).ok
    trace, header = traceparent()

    reply = call(
        "GET", "/clients_api/clients", token, headers={"traceparent": header, FAULT_HEADER: "1"}
    )

    assert reply.status_code == 500
    problem = reply.json()
    assert problem["code"] == "internal_error"
    assert problem["request_id"] == trace == reply.headers["X-Request-Id"]
    lines = wait_until(lambda: request_entries(log_file(PROFILES["test"]), trace))
    assert [(line["logger"], line["severity"]) for line in lines] == [
        ("shared.http._api", "ERROR"),  # the exception, as Error Reporting groups it
        ("trivsel.request", "ERROR"),  # the request's own line
    ]
    error, summary = lines
    assert error["@type"] == REPORTED_ERROR
    assert "InjectedFault" in error["stack_trace"]
    assert error["serviceContext"] == {"service": "clients_api"}
    assert summary["httpRequest"]["status"] == 500
    assert summary["httpRequest"]["requestUrl"] == "/clients_api/clients"
    for line in lines:
        assert line[TRACE] == f"projects/{get_settings().project_id}/traces/{trace}"
        assert (line["function"], line["tenant_id"], line["uid"]) == (
            "clients_api",
            tenant["slug"],
            tenant["admin_uid"],
        )
        text = json.dumps(line)
        assert findings(text) == []
        assert tenant["admin_email"] not in text
        assert token not in text
    assert other_trace not in json.dumps(lines)


def test_a_refusal_without_a_trace_still_carries_an_id_its_log_line_has() -> None:
    reply = call("GET", "/clients_api/clients")  # no token

    assert reply.status_code == 401
    request_id = reply.json()["request_id"]
    assert request_id == reply.headers["X-Request-Id"]
    assert len(request_id) == 32
    assert int(request_id, 16) >= 0
    (line,) = wait_until(lambda: request_entries(log_file(PROFILES["test"]), request_id))
    assert line["httpRequest"]["status"] == 401
    assert TRACE not in line
    assert "tenant_id" not in line


def test_a_path_no_route_matches_is_logged_without_what_the_caller_typed(
    tenant: dict[str, Any],
) -> None:
    typed = f"/clients_api/users/{tenant['admin_email']}"  # looked up by address: no route

    reply = call("GET", typed, tenant["admin_token"])

    assert reply.status_code == 404
    request_id = reply.json()["request_id"]
    (line,) = wait_until(lambda: request_entries(log_file(PROFILES["test"]), request_id))
    assert line["httpRequest"]["status"] == 404
    assert line["httpRequest"]["requestUrl"] == "/clients_api/…"
    assert tenant["admin_email"] not in json.dumps(line)
    assert findings(json.dumps(line)) == []


def test_a_matched_route_is_logged_as_its_template_not_the_ids_the_caller_typed(
    tenant: dict[str, Any],
) -> None:
    typed = "0101901234"  # a CPR-like number as a client id: any id is caller input
    reply = call("GET", f"/clients_api/clients/{typed}", tenant["admin_token"])

    assert reply.status_code == 404
    request_id = reply.json()["request_id"]
    (line,) = wait_until(lambda: request_entries(log_file(PROFILES["test"]), request_id))
    assert line["httpRequest"]["requestUrl"] == "/clients_api/clients/<client_id>"
    assert typed not in json.dumps(line)


def test_the_fault_header_is_ignored_outside_the_test_stack() -> None:
    from shared.settings import settings_from_env

    env = {"GOOGLE_CLOUD_PROJECT": "p", "TRIVSEL_TEST_FAULTS": "1"}
    assert settings_from_env(env).test_faults is False  # production: never
    assert settings_from_env({**env, "FIRESTORE_EMULATOR_HOST": "x:1"}).test_faults is True


def test_every_http_function_answers_its_health_route_without_a_token() -> None:
    http = [fn for fn in load().functions if fn.trigger == "http"]
    assert http
    for fn in http:
        reply = requests.get(functions_url(f"/{fn.name}/healthz"), timeout=10)
        assert reply.status_code == 200, (fn.name, reply.text)
        assert reply.json() == {"status": "ok", "function": fn.name}
        if fn.api:
            document = requests.get(functions_url(f"/{fn.name}/openapi.json"), timeout=10).json()
            assert "200" in document["paths"]["/healthz"]["get"]["responses"]


def _email(tenant: TenantData) -> MessageRequest:
    return MessageRequest(
        id=unique("msg"),
        tenant_id=tenant.tenant_id,
        channel=Channel.EMAIL,
        to=f"{unique('r')}@example.dk",
        kind="password_reset",
        subject="Nulstil adgangskode",
        text="Brug linket.",
        html="<p>Brug linket.</p>",
    )


def _state(tenant: TenantData, message_id: str) -> str:
    snapshot = tenant.document(MESSAGES, message_id).get()
    return str(snapshot.get("state")) if snapshot.exists else ""


def test_the_counters_read_exactly_a_known_sequence(tenant: dict[str, Any]) -> None:
    """3 requests (1 refused), 3 e-mails queued, 2 sent and 1 failed. Queued is counted
    where a message is queued (here, in this process); the requests, and sent and failed,
    in the functions host that served and delivered them (its /_metrics)."""
    data = TenantData(firestore_client(), create_tenant())
    before, queued_before = host_metrics(), metrics.snapshot()
    token = tenant["admin_token"]

    statuses = [
        call("GET", "/clients_api/clients", token).status_code,
        call("GET", "/clients_api/clients", token).status_code,
        call("GET", f"/clients_api/clients/{unique('c')}", token).status_code,
    ]
    sent = [outbox.request_message(data, _email(data)) for _ in range(2)]
    for mail in sent:
        wait_until(lambda: _state(data, mail.id) == "sent")  # noqa: B023 (waited on at once)
    ses = boto3.client("ses", region_name=get_settings().aws_region)
    ses.delete_identity(Identity=SENDER)  # SES now rejects the sender: a permanent failure
    try:
        failed = outbox.request_message(data, _email(data))
        wait_until(lambda: _state(data, failed.id) == "failed")
    finally:
        ses.verify_email_identity(EmailAddress=SENDER)
    after, queued_after = host_metrics(), metrics.snapshot()

    def grew(name: str, *, dumps: tuple[Any, Any] = (before, after), **labels: str) -> Any:
        return metrics.value(dumps[1], name, **labels) - metrics.value(dumps[0], name, **labels)

    assert statuses == [200, 200, 404]
    assert grew(metrics.REQUESTS, function="clients_api") == 3
    assert grew(metrics.REQUESTS, function="clients_api", status_class="2xx") == 2
    assert grew(metrics.REQUESTS, function="clients_api", status_class="4xx") == 1
    assert grew(metrics.REQUEST_DURATION, function="clients_api") == 3  # histogram count
    assert grew(metrics.REFUSALS, function="clients_api") == 1
    assert grew(metrics.REFUSALS, function="clients_api", code="not_found") == 1
    mine = data.tenant_id  # only this test sends to its tenant
    here = (queued_before, queued_after)  # this process
    assert (
        grew(metrics.MESSAGES, dumps=here, channel="email", outcome="queued", tenant_id=mine) == 3
    )
    assert grew(metrics.MESSAGES, outcome="sent", channel="email", tenant_id=mine) == 2
    assert grew(metrics.MESSAGES, outcome="failed", channel="email", tenant_id=mine) == 1
