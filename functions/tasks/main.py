"""Message delivery and remote tasks.

`deliver_message` (Pub/Sub) sends each requested e-mail or SMS once;
`release_scheduled_message` (Cloud Tasks) publishes a message whose time has come;
`remote_tasks_api` sends exercises by e-mail link; `remote_task_page` is the page behind
the link; `remind_remote_task` (Cloud Tasks) reminds contact persons.
"""

from __future__ import annotations

import base64
import binascii
import logging

import flask
import functions_framework
from cloudevents.http.event import CloudEvent
from pydantic import BaseModel, ValidationError

from functions.tasks import page, remote
from shared import errors
from shared.events import record_event
from shared.gcp import firestore_client
from shared.http import Api, Context
from shared.messaging.delivery import Outcome, deliver
from shared.messaging.models import (
    MESSAGES,
    Locale,
    MessageRecord,
    MessageRequest,
    MessageState,
    ScheduledRelease,
)
from shared.messaging.outbox import publish
from shared.messaging.providers import default_providers
from shared.principal import Role
from shared.settings import get_settings
from shared.tenancy import TenantData

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """Raised so the platform answers non-2xx and Pub/Sub redelivers the message."""


@functions_framework.cloud_event
def deliver_message(event: CloudEvent) -> None:
    try:
        payload = base64.b64decode(event.data["message"]["data"], validate=True)
        request = MessageRequest.model_validate_json(payload)
    except (KeyError, TypeError, binascii.Error, ValidationError) as exc:
        # Nothing can make this message valid: acknowledge it, loudly.
        log.error("dropping invalid message request %s: %s", event["id"], exc)
        return
    outcome = deliver(
        request,
        db=firestore_client(),
        providers=default_providers(),
        settings=get_settings(),
    )
    log.info("message %s: %s", request.id, outcome)
    if outcome is Outcome.RETRY_LATER:
        raise RetryLater(f"message {request.id} will be retried")


# Internal: reachable only by Cloud Tasks (IAM invoker), so no Firebase principal.
releases = Api("release_scheduled_message", "Internal: release scheduled messages")


@releases.route(
    "POST", "/", summary="Publish a scheduled message", roles=None, body=ScheduledRelease
)
def release(ctx: Context, body: ScheduledRelease) -> None:
    tenant = TenantData(firestore_client(), body.tenant_id)
    snapshot = tenant.document(MESSAGES, body.message_id).get()
    if not snapshot.exists:
        log.warning("scheduled message %s no longer exists", body.message_id)
        return None  # erased in the meantime: nothing to send, do not retry
    record = MessageRecord.model_validate(snapshot.to_dict())
    if record.state is MessageState.QUEUED:
        publish(record.request)  # the stored request, never one from the task body
    return None


@functions_framework.http
def release_scheduled_message(request: flask.Request) -> flask.Response:
    return releases(request)


# -- remote tasks (SPEC) ---------------------------------------------------------

tasks_api = Api("remote_tasks_api", "Trivsel remote tasks: exercises sent by e-mail link")
MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
ITEM = "/clients/{client_id}/courses/{course_ref}/items/{item_id}"


class RemoteTaskList(BaseModel):
    remote_tasks: list[remote.RemoteTask]


@tasks_api.route(
    "POST",
    ITEM + "/remote-tasks",
    summary="Send the exercise to contact persons (now or at send_at)",
    roles=MEMBERS,
    body=remote.SendRequest,
    response=RemoteTaskList,
    status=201,
    refusals=[errors.NotFound, remote.NotRemote],
)
def send_remote_task(ctx: Context, body: remote.SendRequest) -> RemoteTaskList:
    p = ctx.path_params
    sent = remote.send(
        ctx.caller, ctx.caller.tenant_data(), p["client_id"], p["course_ref"], p["item_id"], body
    )
    return RemoteTaskList(remote_tasks=sent)


@tasks_api.route(
    "GET",
    "/clients/{client_id}/remote-tasks",
    summary="A client's remote tasks",
    roles=MEMBERS,
    response=RemoteTaskList,
    refusals=[errors.NotFound],
)
def client_remote_tasks(ctx: Context, _: None) -> RemoteTaskList:
    return RemoteTaskList(
        remote_tasks=remote.for_client(ctx.caller.tenant_data(), ctx.path_params["client_id"])
    )


@tasks_api.route(
    "GET",
    "/remote-tasks/{task_id}",
    summary="One remote task, with its answer",
    roles=MEMBERS,
    response=remote.RemoteTask,
    refusals=[errors.NotFound],
)
def get_remote_task(ctx: Context, _: None) -> remote.RemoteTask:
    data = ctx.caller.tenant_data()
    task = remote.get(data, ctx.path_params["task_id"])
    record_event(
        data,
        actor=ctx.caller.uid,
        action="remote_task.read",  # the answer is
        subject=f"remote_tasks/{task.id}",
        client_id=task.client_id,
    )  # personal data
    return task


@tasks_api.route(
    "POST",
    "/remote-tasks/{task_id}/resend",
    summary="Send again with a new link (the old one stops working)",
    roles=MEMBERS,
    response=remote.RemoteTask,
    refusals=[errors.NotFound, errors.InvalidTransition],
)
def resend_remote_task(ctx: Context, _: None) -> remote.RemoteTask:
    return remote.resend(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["task_id"])


@tasks_api.route(
    "POST",
    "/remote-tasks/{task_id}/cancel",
    summary="Withdraw the task",
    roles=MEMBERS,
    response=remote.RemoteTask,
    refusals=[errors.NotFound, errors.InvalidTransition],
)
def cancel_remote_task(ctx: Context, _: None) -> remote.RemoteTask:
    return remote.cancel(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["task_id"])


@tasks_api.route(
    "GET",
    "/settings",
    summary="Link lifetime and reminder delay",
    roles=MEMBERS,
    response=remote.RemoteTaskSettings,
)
def get_settings_route(ctx: Context, _: None) -> remote.RemoteTaskSettings:
    return remote.settings_for(ctx.caller.tenant_data())


@tasks_api.route(
    "PUT",
    "/settings",
    summary="Change link lifetime and reminder delay",
    roles=[Role.ADMIN],
    body=remote.RemoteTaskSettings,
    response=remote.RemoteTaskSettings,
)
def put_settings(ctx: Context, body: remote.RemoteTaskSettings) -> remote.RemoteTaskSettings:
    remote.change_settings(ctx.caller, ctx.caller.tenant_data(), body)
    return body


@functions_framework.http
def remote_tasks_api(request: flask.Request) -> flask.Response:
    return tasks_api(request)


def _locale(request: flask.Request) -> Locale:
    """Danish, unless the page is asked for in English (?lang=en)."""
    return Locale.EN if request.args.get("lang") == "en" else Locale.DA


@functions_framework.http
def remote_task_page(request: flask.Request) -> flask.Response:
    """The page behind a link: GET shows the exercise, POST saves the answer once."""
    nonce = page.new_nonce()
    locale = _locale(request)
    token = (request.path or "/").strip("/")
    # The platform appends the caller's address last; earlier entries are the caller's word.
    forwarded = (request.headers.get("X-Forwarded-For") or "").split(",")[-1].strip()
    address = forwarded or request.remote_addr or ""
    try:
        if request.method not in ("GET", "POST"):
            return flask.Response(status=405, headers={"Allow": "GET, POST"})
        data, task, exercise = remote.resolve(token, address.strip())
        locale = task.locale  # the page speaks the e-mail's language
        if request.method == "GET":
            remote.opened(data, task)
            return _html(page.exercise_page(exercise, locale, nonce), 200, nonce)
        form = request.form.to_dict()
        try:
            remote.answer(
                data, task, exercise, page.answers_from_form(exercise["content"]["kind"], form)
            )
        except errors.ValidationFailed as invalid:
            body = page.exercise_page(exercise, locale, nonce, invalid.errors or [], form)
            return _html(body, 422, nonce)
        return _html(page.thanks(locale, nonce), 200, nonce)
    except remote.LinkRefused as refused:
        body, status = page.refusal(refused.page, locale, nonce)
        return _html(body, status, nonce)
    except Exception:
        # Whatever happened, the contact person gets a page in their language, not a trace.
        log.exception("remote task page failed")
        body, status = page.refusal("failed", locale, nonce)
        return _html(body, status, nonce)


def _html(body: str, status: int, nonce: str) -> flask.Response:
    return flask.Response(body, status=status, mimetype="text/html", headers=page.headers(nonce))


# Internal: reachable only by Cloud Tasks (IAM invoker), so no Firebase principal.
reminders = Api("remind_remote_task", "Internal: remote-task reminders")


@reminders.route(
    "POST",
    "/",
    summary="Remind the contact person if still unanswered",
    roles=None,
    body=remote.Reminder,
)
def remind(ctx: Context, body: remote.Reminder) -> None:
    remote.remind(body)


@functions_framework.http
def remind_remote_task(request: flask.Request) -> flask.Response:
    return reminders(request)
