"""HTTP function `clients_api`: clients, the catalogue, courses, calendars and logs."""

from __future__ import annotations

from typing import Any

import flask
from pydantic import BaseModel

from functions.clients import catalogue, clients, courses, gdpr, logs, recipients, rights
from functions.clients.models import (
    Answers,
    Calendar,
    CalendarEntry,
    CalendarQuery,
    CatalogueOverview,
    Client,
    ClientCreate,
    ClientPage,
    ClientQuery,
    ClientRecipients,
    ClientUpdate,
    CourseAssign,
    DownloadUrl,
    ErasureReceipt,
    ExerciseChoice,
    Export,
    FileUpload,
    FileUploadRequest,
    LogPage,
    LogQuery,
    RestrictionRequest,
    ScheduleDate,
    SubjectRequestAnswer,
    SubjectRequestCreate,
    SubjectRequestExtension,
    SubjectRequestList,
    Tried,
)
from shared import courses as course_items
from shared import crypto, errors
from shared.catalogue import (
    STORED,
    WRITTEN,
    ExerciseItem,
    Kind,
    NotLicensed,
    licensed_exercise,
    validate_answers,
)
from shared.clients import CLIENTS, ClientRestricted, Identity, load_document
from shared.courses import AlreadyPerformed, ClientCourse, ItemRef
from shared.data_subjects import DataSubjectRequest
from shared.events import record_event
from shared.http import Api, JsonStream, http_function
from shared.principal import Principal, Role
from shared.tenancy import TenantData

api = Api("Trivsel clients: clients, catalogue, courses and logs")
MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
ADMIN = [Role.ADMIN]
OWNER = [Role.OWNER]
CLIENT = "/clients/<client_id>"
COURSE = CLIENT + "/courses/<course_ref>"
ITEM = COURSE + "/items/<item_id>"
SEALED = [crypto.KeyUnavailable]  # routes that open sealed data
CHANGES = [ClientRestricted]  # routes that change a client or act on their data


# -- clients (C-1 ... C-3) ----------------------------------------------------------------------


@api.route("POST", "/clients", summary="Create a client", roles=MEMBERS, status=201)
def create_client(caller: Principal, tenant: TenantData, body: ClientCreate) -> Client:
    return clients.create(caller, tenant, body)


@api.route(
    "GET",
    "/clients",
    summary="Search clients by name or pseudonym, a page at a time",
    roles=MEMBERS,
)
def list_clients(tenant: TenantData, query: ClientQuery) -> ClientPage:
    return clients.search(tenant, query)


def _the_client(tenant: TenantData, params: dict[str, str]) -> list[Any]:
    """The client's document, read with the caller's authority (one round trip)."""
    return [tenant.document(CLIENTS, params["client_id"])]


@api.route(
    "GET",
    CLIENT,
    summary="The client overview with courses (read is audited)",
    roles=MEMBERS,
    prefetch=_the_client,
)
def get_client(caller: Principal, tenant: TenantData, client_id: str) -> Client:
    return clients.read(caller, tenant, client_id)


@api.route(
    "PATCH",
    CLIENT,
    summary="Change master data, contact persons or consent",
    roles=MEMBERS,
    refusals=[clients.Pseudonymised, *SEALED, *CHANGES],
)
def update_client(
    caller: Principal, tenant: TenantData, client_id: str, body: ClientUpdate
) -> Client:
    return clients.update(caller, tenant, client_id, body)


@api.route(
    "DELETE",
    CLIENT,
    summary="Erase the client everywhere (right to be forgotten); returns a receipt",
    roles=MEMBERS,
    refusals=CHANGES,
)
def erase_client(caller: Principal, tenant: TenantData, client_id: str) -> ErasureReceipt:
    return gdpr.erase(caller, tenant, client_id)


@api.route(
    "POST",
    CLIENT + "/pseudonymise",
    summary="Replace identifying data by a pseudonym",
    roles=MEMBERS,
    refusals=[clients.Pseudonymised, *SEALED, *CHANGES],
)
def pseudonymise(caller: Principal, tenant: TenantData, client_id: str) -> Client:
    return clients.pseudonymise(caller, tenant, client_id)


@api.route(
    "GET",
    CLIENT + "/identity",
    summary="A pseudonymised client's originals (audited)",
    roles=ADMIN,
    refusals=[errors.InvalidTransition, *SEALED],
)
def identity(caller: Principal, tenant: TenantData, client_id: str) -> Identity:
    return clients.identity(caller, tenant, client_id)


@api.route(
    "POST",
    CLIENT + "/reverse-pseudonym",
    summary="Put the originals back",
    roles=ADMIN,
    refusals=[errors.InvalidTransition, *SEALED, *CHANGES],
)
def reverse_pseudonym(caller: Principal, tenant: TenantData, client_id: str) -> Client:
    return clients.reverse(caller, tenant, client_id)


@api.route(
    "GET",
    CLIENT + "/export",
    summary="Everything stored about the client, as JSON",
    roles=ADMIN,
    refusals=SEALED,
)
def export_client(caller: Principal, tenant: TenantData, client_id: str) -> JsonStream[Export]:
    return JsonStream(gdpr.export(caller, tenant, client_id))


@api.route(
    "POST",
    CLIENT + "/files",
    summary="A signed URL to store a file about the client",
    roles=MEMBERS,
    status=201,
    refusals=CHANGES,
)
def add_file(
    caller: Principal, tenant: TenantData, client_id: str, body: FileUploadRequest
) -> FileUpload:
    return gdpr.file_upload(caller, tenant, client_id, body)


# -- data-subject rights: the request register, restriction (GDPR Art. 12-22) -------------------

REQUEST = "/data-subject-requests/<request_id>"


@api.route(
    "POST",
    "/data-subject-requests",
    summary="Register a data-subject request; its deadline is one month from receipt",
    roles=ADMIN,
    status=201,
    refusals=[errors.NotFound],
)
def register_request(
    caller: Principal, tenant: TenantData, body: SubjectRequestCreate
) -> DataSubjectRequest:
    return rights.register(caller, tenant, body)


@api.route(
    "GET",
    "/data-subject-requests",
    summary="The register: every request with its deadline and reminders",
    roles=ADMIN,
)
def list_requests(tenant: TenantData) -> SubjectRequestList:
    return SubjectRequestList(requests=rights.listing(tenant))


@api.route("GET", REQUEST, summary="One data-subject request", roles=ADMIN)
def get_request(tenant: TenantData, request_id: str) -> DataSubjectRequest:
    return rights.get(tenant, request_id)


@api.route(
    "POST",
    REQUEST + "/extend",
    summary="Extend the deadline by two further months, with the reason",
    roles=ADMIN,
    refusals=[errors.InvalidTransition],
)
def extend_request(
    caller: Principal, tenant: TenantData, request_id: str, body: SubjectRequestExtension
) -> DataSubjectRequest:
    return rights.extend(caller, tenant, request_id, body)


@api.route(
    "POST",
    REQUEST + "/answer",
    summary="Record the answer: completed or refused, and the outcome",
    roles=ADMIN,
    refusals=[errors.InvalidTransition],
)
def answer_request(
    caller: Principal, tenant: TenantData, request_id: str, body: SubjectRequestAnswer
) -> DataSubjectRequest:
    return rights.answer(caller, tenant, request_id, body)


@api.route(
    "POST",
    CLIENT + "/restriction",
    summary="Restrict processing (Art. 18): kept and readable, nothing else until lifted",
    roles=ADMIN,
)
def restrict_client(
    caller: Principal, tenant: TenantData, client_id: str, body: RestrictionRequest
) -> Client:
    rights.restrict(caller, tenant, client_id, body)
    return clients.read(caller, tenant, client_id)


@api.route(
    "DELETE",
    CLIENT + "/restriction",
    summary="Lift the restriction: the client is processed again",
    roles=ADMIN,
    refusals=[errors.InvalidTransition],
)
def lift_restriction(caller: Principal, tenant: TenantData, client_id: str) -> Client:
    rights.lift(caller, tenant, client_id)
    return clients.read(caller, tenant, client_id)


@api.route(
    "GET",
    CLIENT + "/recipients",
    summary="Who received the client's data (contact persons, processors), to pass on changes",
    roles=ADMIN,
    refusals=SEALED,
)
def client_recipients(caller: Principal, tenant: TenantData, client_id: str) -> ClientRecipients:
    return recipients.recipients(caller, tenant, client_id)


# -- logs (C-6) ------------------------------------------------------------------------------------


@api.route("GET", CLIENT + "/log", summary="Everything done about the client", roles=MEMBERS)
def client_log(tenant: TenantData, client_id: str, query: LogQuery) -> LogPage:
    load_document(tenant, client_id)
    return logs.log_page(tenant, "client_id", client_id, query)


@api.route("GET", "/me/log", summary="Everything the caller did", roles=MEMBERS)
def my_log(caller: Principal, tenant: TenantData, query: LogQuery) -> LogPage:
    return logs.log_page(tenant, "actor", caller.uid, query)


# -- courses (C-5) ---------------------------------------------------------------------------------


@api.route(
    "POST",
    CLIENT + "/courses",
    summary="Assign a course to the client",
    roles=MEMBERS,
    status=201,
    refusals=[NotLicensed, *CHANGES],
)
def assign_course(
    caller: Principal, tenant: TenantData, client_id: str, body: CourseAssign
) -> ClientCourse:
    return courses.assign(caller, tenant, client_id, body.course_id)


@api.route("GET", COURSE, summary="One of the client's courses", roles=MEMBERS)
def get_course(
    caller: Principal, tenant: TenantData, client_id: str, course_ref: str
) -> ClientCourse:
    course = course_items.get_course(tenant, client_id, course_ref)
    record_event(
        tenant,
        actor=caller.uid,
        action="course.read",  # answers are personal data
        subject=f"courses/{course.id}",
        client_id=client_id,
    )
    return course


@api.route(
    "PUT",
    ITEM,
    summary="Replace the exercise",
    roles=MEMBERS,
    refusals=[NotLicensed, errors.InvalidTransition, *CHANGES],
)
def replace_item(
    caller: Principal,
    tenant: TenantData,
    client_id: str,
    course_ref: str,
    item_id: str,
    body: ExerciseChoice,
) -> ClientCourse:
    ref = ItemRef(client_id, course_ref, item_id)
    return course_items.replace_exercise(caller.uid, tenant, ref, body.exercise_id)


@api.route(
    "DELETE",
    ITEM,
    summary="Remove the exercise from the course",
    roles=MEMBERS,
    refusals=[errors.InvalidTransition, *CHANGES],
)
def remove_item(
    caller: Principal, tenant: TenantData, client_id: str, course_ref: str, item_id: str
) -> ClientCourse:
    return course_items.remove_item(caller.uid, tenant, ItemRef(client_id, course_ref, item_id))


@api.route(
    "POST",
    ITEM + "/perform",
    summary="Perform the exercise: answers are checked, saved",
    roles=MEMBERS,
    refusals=[NotLicensed, AlreadyPerformed, *CHANGES],
)
def perform_item(
    caller: Principal,
    tenant: TenantData,
    client_id: str,
    course_ref: str,
    item_id: str,
    body: Answers,
) -> ClientCourse:
    ref = ItemRef(client_id, course_ref, item_id)
    return course_items.perform(caller.uid, tenant, ref, body.answers)


@api.route(
    "PUT",
    ITEM + "/schedule",
    summary="Plan the exercise for a date",
    roles=MEMBERS,
    refusals=CHANGES,
)
def schedule_item(
    caller: Principal,
    tenant: TenantData,
    client_id: str,
    course_ref: str,
    item_id: str,
    body: ScheduleDate,
) -> ClientCourse:
    ref = ItemRef(client_id, course_ref, item_id)
    return course_items.schedule(caller.uid, tenant, ref, body.date)


@api.route(
    "POST",
    ITEM + "/mark-sent",
    summary="Mark the exercise as sent as a remote task",
    roles=MEMBERS,
    refusals=CHANGES,
)
def mark_sent(
    caller: Principal, tenant: TenantData, client_id: str, course_ref: str, item_id: str
) -> ClientCourse:
    return course_items.mark_sent(caller.uid, tenant, ItemRef(client_id, course_ref, item_id))


@api.route("GET", "/calendar", summary="What the caller has planned in a date range", roles=MEMBERS)
def calendar(caller: Principal, tenant: TenantData, query: CalendarQuery) -> Calendar:
    entries = courses.calendar(caller, tenant, query.start, query.end)
    return Calendar(entries=[CalendarEntry.model_validate(e) for e in entries])


# -- the catalogue (C-4) ---------------------------------------------------------------------------


@api.route("GET", "/catalogue", summary="The licensed focus areas and their content", roles=MEMBERS)
def catalogue_overview(tenant: TenantData) -> CatalogueOverview:
    return catalogue.overview(tenant)


@api.route(
    "GET",
    "/catalogue/exercises/<exercise_id>",
    summary="One exercise",
    roles=MEMBERS,
    refusals=[NotLicensed],
)
def get_exercise(tenant: TenantData, exercise_id: str) -> ExerciseItem:
    return licensed_exercise(tenant, exercise_id)


@api.route(
    "POST",
    "/catalogue/exercises/<exercise_id>/try",
    summary="Try an exercise without a client: answers are checked, not kept",
    roles=MEMBERS,
    refusals=[NotLicensed],
)
def try_exercise(caller: Principal, tenant: TenantData, exercise_id: str, body: Answers) -> Tried:
    checked = validate_answers(licensed_exercise(tenant, exercise_id), body.answers)
    record_event(
        tenant,
        actor=caller.uid,
        action="exercise.tried",
        subject=f"catalogue/exercises/{exercise_id}",
        exercise_id=exercise_id,
    )
    return Tried(exercise_id=exercise_id, valid=True, answers=checked)


@api.route(
    "GET",
    "/catalogue/documents/<document_id>/download",
    summary="A short-lived link to download a document template",
    roles=MEMBERS,
    refusals=[NotLicensed],
)
def download_document(tenant: TenantData, document_id: str) -> DownloadUrl:
    return DownloadUrl(url=catalogue.document_download(tenant, document_id))


def _owner_routes(kind: Kind) -> None:
    """PUT and DELETE of one kind of catalogue item, typed by the kind's own model."""
    written, stored = WRITTEN[kind], STORED[kind]
    path = f"/catalogue/{kind.value}/<item_id>"

    def put(caller: Principal, item_id: str, body: BaseModel) -> BaseModel:
        return catalogue.put_item(kind, item_id, body)

    def delete(caller: Principal, item_id: str) -> None:
        catalogue.delete_item(kind, item_id)

    name = kind.value.replace("-", "_")
    put.__name__, delete.__name__ = f"put_{name}", f"delete_{name}"
    put.__annotations__ = {"caller": Principal, "item_id": str, "body": written, "return": stored}
    delete.__annotations__ = {"caller": Principal, "item_id": str, "return": None}
    api.route("PUT", path, summary=f"Create or replace a {kind.value} item", roles=OWNER)(put)
    api.route("DELETE", path, summary=f"Remove a {kind.value} item", roles=OWNER)(delete)


for _kind in Kind:
    _owner_routes(_kind)


@http_function(api)
def clients_api(request: flask.Request) -> flask.Response:
    return api(request)
