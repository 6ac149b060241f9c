"""Remote tasks: `remote_tasks_api` sends exercises by e-mail link; `remote_task_page` is
the page behind the link; `remind_remote_task` (Cloud Tasks) reminds contact persons."""

from __future__ import annotations

import logging

import flask
from werkzeug.exceptions import RequestEntityTooLarge

from functions.tasks import answers, logo, page, presenting, reminders, sending
from functions.tasks.log import log_task
from functions.tasks.models import (
    LinkRefused,
    NotRemote,
    PrivacyPolicyMissing,
    Reminder,
    RemoteTask,
    RemoteTaskList,
    SendRequest,
)
from shared import crypto, errors, ratelimit, retrying
from shared.catalogue import NotLicensed
from shared.clients import ClientRestricted
from shared.courses import ItemRef
from shared.http import Api, caller_address, http_function
from shared.messaging.models import Locale
from shared.principal import Principal, Role
from shared.subprocessors import SubprocessorNotApproved
from shared.tenancy import TenantData
from shared.tenants import PrivacyNotice, RemoteTaskPreferences

log = logging.getLogger(__name__)

api = Api("Trivsel remote tasks: exercises sent by e-mail link")
MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
ITEM = "/clients/<client_id>/courses/<course_ref>/items/<item_id>"
TASK = "/remote-tasks/<task_id>"


@api.route(
    "POST",
    ITEM + "/remote-tasks",
    summary="Send the exercise to contact persons (now or at send_at)",
    roles=MEMBERS,
    status=201,
    refusals=[
        NotRemote,
        NotLicensed,
        crypto.KeyUnavailable,
        ClientRestricted,
        SubprocessorNotApproved,
        PrivacyPolicyMissing,
    ],
)
def send_remote_task(
    caller: Principal,
    tenant: TenantData,
    client_id: str,
    course_ref: str,
    item_id: str,
    body: SendRequest,
) -> RemoteTaskList:
    ref = ItemRef(client_id, course_ref, item_id)
    sent = sending.send(caller, tenant, ref, body.contacts, body.send_at)
    return RemoteTaskList(remote_tasks=sent)


@api.route(
    "GET", "/clients/<client_id>/remote-tasks", summary="A client's remote tasks", roles=MEMBERS
)
def client_remote_tasks(tenant: TenantData, client_id: str) -> RemoteTaskList:
    return RemoteTaskList(remote_tasks=sending.for_client(tenant, client_id))


@api.route("GET", TASK, summary="One remote task, with its answer", roles=MEMBERS)
def get_remote_task(caller: Principal, tenant: TenantData, task_id: str) -> RemoteTask:
    task = sending.get(tenant, task_id)
    log_task(tenant, task, "read", caller.uid)  # the answer is personal data
    return task


@api.route(
    "POST",
    TASK + "/resend",
    summary="Send again with a new link (the old one stops working)",
    roles=MEMBERS,
    refusals=[
        errors.InvalidTransition,
        crypto.KeyUnavailable,
        ClientRestricted,
        SubprocessorNotApproved,
        PrivacyPolicyMissing,
    ],
)
def resend_remote_task(caller: Principal, tenant: TenantData, task_id: str) -> RemoteTask:
    return sending.resend(caller, tenant, task_id)


@api.route(
    "POST",
    TASK + "/cancel",
    summary="Withdraw the task",
    roles=MEMBERS,
    refusals=[errors.InvalidTransition],
)
def cancel_remote_task(caller: Principal, tenant: TenantData, task_id: str) -> RemoteTask:
    return sending.cancel(caller, tenant, task_id)


@api.route("GET", "/settings", summary="Link lifetime and reminder delay", roles=MEMBERS)
def get_preferences(tenant: TenantData) -> RemoteTaskPreferences:
    return sending.preferences(tenant)


@api.route(
    "PUT", "/settings", summary="Change link lifetime and reminder delay", roles=[Role.ADMIN]
)
def put_preferences(
    caller: Principal, tenant: TenantData, body: RemoteTaskPreferences
) -> RemoteTaskPreferences:
    sending.change_preferences(caller, tenant, body)
    return body


@api.route(
    "GET",
    "/settings/privacy",
    summary="The privacy notice contact persons are shown (GDPR Art. 13)",
    roles=MEMBERS,
    refusals=[errors.NotFound],
)
def get_privacy(tenant: TenantData) -> PrivacyNotice:
    return sending.privacy(tenant)


@api.route(
    "PUT",
    "/settings/privacy",
    summary="Set the privacy notice: controller, purpose, readers, retention, policy URL",
    roles=[Role.ADMIN],
)
def put_privacy(caller: Principal, tenant: TenantData, body: PrivacyNotice) -> PrivacyNotice:
    sending.change_privacy(caller, tenant, body)
    return body


@api.route(
    "PUT",
    "/settings/logo",
    summary="Upload the logo the page behind a link shows (PNG or JPEG, at most 100 KB)",
    roles=[Role.ADMIN],
    refusals=[logo.LogoNotImage, logo.LogoTooLarge],
)
def put_logo(caller: Principal, tenant: TenantData, body: logo.LogoUpload) -> logo.Logo:
    return logo.upload(caller, tenant, body)


@api.route("DELETE", "/settings/logo", summary="Remove the logo", roles=[Role.ADMIN], status=204)
def delete_logo(caller: Principal, tenant: TenantData) -> None:
    logo.remove(caller, tenant)


@http_function(api)
def remote_tasks_api(request: flask.Request) -> flask.Response:
    return api(request)


def _locale(request: flask.Request) -> Locale:
    """Danish, unless the page is asked for in English (?lang=en)."""
    return Locale.EN if request.args.get("lang") == "en" else Locale.DA


@http_function(path_is_secret=True)  # the path is the link token
def remote_task_page(request: flask.Request) -> flask.Response:
    """The page behind a link: GET shows the exercise, POST saves the answer once."""
    nonce = page.new_nonce()
    locale = _locale(request)
    token = (request.path or "/").strip("/")
    address = caller_address(request.headers.get("X-Forwarded-For"), request.remote_addr)
    try:
        if request.method not in ("GET", "POST"):
            return flask.Response(status=405, headers={"Allow": "GET, POST"})
        if (request.content_length or 0) > page.MAX_ANSWER_BYTES:
            raise LinkRefused("too_large")
        request.max_content_length = page.MAX_ANSWER_BYTES  # also for a body without a length
        opening = answers.resolve(token, address)
        locale = opening.task.locale  # the page speaks the e-mail's language
        asker = presenting.asker(opening.tenant, opening.task, locale, opening.logo)
        notice = presenting.notice(opening.tenant)
        if request.method == "GET":
            answers.opened(opening)  # committed while the exercise is being read
            shown = opening.exercise.model_dump()
            return _html(
                page.exercise_page(shown, locale, nonce, asker=asker, notice=notice), 200, nonce
            )
        exercise = opening.exercise
        shown = exercise.model_dump()
        form = request.form.to_dict()
        try:
            given = page.answers_from_form(exercise.content.kind, form)
            saved = answers.answer(opening, given)
        except errors.ValidationFailed as invalid:
            problems = invalid.errors or []
            body = page.exercise_page(
                shown, locale, nonce, problems, form, asker=asker, notice=notice
            )
            return _html(body, 422, nonce)
        sent = page.sent_summary(shown, saved.answer or {}, locale)
        return _html(page.thanks(locale, nonce, sent, asker), 200, nonce)
    except LinkRefused as refused:
        if refused.asker is not None and "lang" not in request.args:
            locale = refused.asker.locale
        body, status = page.refusal(refused.page, locale, nonce, refused.asker)
        return _html(body, status, nonce)
    except RequestEntityTooLarge:
        body, status = page.refusal("too_large", locale, nonce)
        return _html(body, status, nonce)
    except Exception as exc:
        # Whatever happened, the contact person gets a page in their language, not a trace.
        if retrying.transient(exc):
            log.warning(
                "remote task page: %r after retries, link %s", exc, ratelimit.fingerprint(token)
            )
            body, status = page.refusal("busy", locale, nonce)
            reply = _html(body, status, nonce)
            reply.headers["Retry-After"] = str(retrying.RETRY_AFTER_S)
            return reply
        log.exception("remote task page failed for link %s", ratelimit.fingerprint(token))
        body, status = page.refusal("failed", locale, nonce)
        return _html(body, status, nonce)


def _html(body: str, status: int, nonce: str) -> flask.Response:
    return flask.Response(body, status=status, mimetype="text/html", headers=page.headers(nonce))


# Internal: reachable only by Cloud Tasks (IAM invoker), so no Firebase principal.
reminder_api = Api("Internal: remote-task reminders")


@reminder_api.route(
    "POST",
    "/",
    summary="Remind the contact person if still unanswered",
    roles=None,
    refusals=[crypto.KeyUnavailable],
)
def remind(body: Reminder) -> None:
    reminders.remind(body)


@http_function(reminder_api)
def remind_remote_task(request: flask.Request) -> flask.Response:
    return reminder_api(request)
