"""HTTP function `clients_api`: clients, the catalogue, courses, calendars and logs."""

from __future__ import annotations

import flask
import functions_framework

from functions.clients import catalogue, clients, courses, gdpr, logs
from functions.clients.catalogue import Kind
from functions.clients.models import (
    Answers,
    Calendar,
    CalendarEntry,
    CalendarQuery,
    CatalogueDocument,
    Client,
    ClientCourse,
    ClientCreate,
    ClientPage,
    ClientQuery,
    ClientUpdate,
    CourseAssign,
    DownloadUrl,
    ErasureReceipt,
    ExerciseChoice,
    Export,
    FileUpload,
    FileUploadRequest,
    Identity,
    LogPage,
    LogQuery,
    ScheduleDate,
    Tried,
)
from shared import errors
from shared.events import record_event
from shared.http import Api, Context
from shared.principal import Role

api = Api("clients_api", "Trivsel clients: clients, catalogue, courses and logs")
MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
ADMIN = [Role.ADMIN]
OWNER = [Role.OWNER]
CLIENT = "/clients/{client_id}"
ITEM = CLIENT + "/courses/{course_ref}/items/{item_id}"


def _course(course: dict[str, object]) -> ClientCourse:
    return ClientCourse.model_validate(course)


# -- clients (C-1 ... C-3) ----------------------------------------------------------------------


@api.route(
    "POST",
    "/clients",
    summary="Create a client",
    roles=MEMBERS,
    body=ClientCreate,
    response=Client,
    status=201,
)
def create_client(ctx: Context, body: ClientCreate) -> Client:
    return clients.create(ctx.caller, ctx.caller.tenant_data(), body)


@api.route(
    "GET",
    "/clients",
    summary="Search clients by name or pseudonym, a page at a time",
    roles=MEMBERS,
    query=ClientQuery,
    response=ClientPage,
)
def list_clients(ctx: Context, _: None) -> ClientPage:
    assert isinstance(ctx.query, ClientQuery)
    return clients.search(ctx.caller.tenant_data(), ctx.query)


@api.route(
    "GET",
    CLIENT,
    summary="The client overview with courses (read is audited)",
    roles=MEMBERS,
    response=Client,
    refusals=[errors.NotFound],
)
def get_client(ctx: Context, _: None) -> Client:
    return clients.read(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["client_id"])


@api.route(
    "PATCH",
    CLIENT,
    summary="Change master data, contact persons or consent",
    roles=MEMBERS,
    body=ClientUpdate,
    response=Client,
    refusals=[errors.NotFound],
)
def update_client(ctx: Context, body: ClientUpdate) -> Client:
    return clients.update(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["client_id"], body)


@api.route(
    "DELETE",
    CLIENT,
    summary="Erase the client everywhere (right to be forgotten); returns a receipt",
    roles=MEMBERS,
    response=ErasureReceipt,
    refusals=[errors.NotFound],
)
def erase_client(ctx: Context, _: None) -> ErasureReceipt:
    return gdpr.erase(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["client_id"])


@api.route(
    "POST",
    CLIENT + "/pseudonymise",
    summary="Replace identifying data by a pseudonym",
    roles=MEMBERS,
    response=Client,
    refusals=[errors.NotFound, clients.Pseudonymised],
)
def pseudonymise(ctx: Context, _: None) -> Client:
    return clients.pseudonymise(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["client_id"])


@api.route(
    "GET",
    CLIENT + "/identity",
    summary="A pseudonymised client's originals (audited)",
    roles=ADMIN,
    response=Identity,
    refusals=[errors.NotFound, errors.InvalidTransition],
)
def identity(ctx: Context, _: None) -> Identity:
    return clients.identity(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["client_id"])


@api.route(
    "POST",
    CLIENT + "/reverse-pseudonym",
    summary="Put the originals back",
    roles=ADMIN,
    response=Client,
    refusals=[errors.NotFound, errors.InvalidTransition],
)
def reverse_pseudonym(ctx: Context, _: None) -> Client:
    return clients.reverse(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["client_id"])


@api.route(
    "GET",
    CLIENT + "/export",
    summary="Everything stored about the client, as JSON",
    roles=ADMIN,
    response=Export,
    refusals=[errors.NotFound],
)
def export_client(ctx: Context, _: None) -> Export:
    return gdpr.export(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["client_id"])


@api.route(
    "POST",
    CLIENT + "/files",
    summary="A signed URL to store a file about the client",
    roles=MEMBERS,
    body=FileUploadRequest,
    response=FileUpload,
    status=201,
    refusals=[errors.NotFound],
)
def add_file(ctx: Context, body: FileUploadRequest) -> FileUpload:
    return gdpr.file_upload(
        ctx.caller, ctx.caller.tenant_data(), ctx.path_params["client_id"], body
    )


# -- logs (C-6) ------------------------------------------------------------------------------------


@api.route(
    "GET",
    CLIENT + "/log",
    summary="Everything done about the client",
    roles=MEMBERS,
    query=LogQuery,
    response=LogPage,
    refusals=[errors.NotFound],
)
def client_log(ctx: Context, _: None) -> LogPage:
    assert isinstance(ctx.query, LogQuery)
    data = ctx.caller.tenant_data()
    clients.load_document(data, ctx.path_params["client_id"])
    return logs.page(data, "client_id", ctx.path_params["client_id"], ctx.query)


@api.route(
    "GET",
    "/me/log",
    summary="Everything the caller did",
    roles=MEMBERS,
    query=LogQuery,
    response=LogPage,
)
def my_log(ctx: Context, _: None) -> LogPage:
    assert isinstance(ctx.query, LogQuery)
    return logs.page(ctx.caller.tenant_data(), "actor", ctx.caller.uid, ctx.query)


# -- courses (C-5) ---------------------------------------------------------------------------------


@api.route(
    "POST",
    CLIENT + "/courses",
    summary="Assign a course to the client",
    roles=MEMBERS,
    body=CourseAssign,
    response=ClientCourse,
    status=201,
    refusals=[errors.NotFound, catalogue.NotLicensed],
)
def assign_course(ctx: Context, body: CourseAssign) -> ClientCourse:
    return _course(
        courses.assign(
            ctx.caller, ctx.caller.tenant_data(), ctx.path_params["client_id"], body.course_id
        )
    )


@api.route(
    "GET",
    CLIENT + "/courses/{course_ref}",
    summary="One of the client's courses",
    roles=MEMBERS,
    response=ClientCourse,
    refusals=[errors.NotFound],
)
def get_course(ctx: Context, _: None) -> ClientCourse:
    data = ctx.caller.tenant_data()
    course = courses.get(data, ctx.path_params["client_id"], ctx.path_params["course_ref"])
    record_event(
        data,
        actor=ctx.caller.uid,
        action="course.read",  # answers are personal data
        subject=f"courses/{course['id']}",
        client_id=ctx.path_params["client_id"],
    )
    return _course(course)


def _item(ctx: Context, operation: str, argument: object = None) -> ClientCourse:
    p = ctx.path_params
    return _course(
        courses.change_item(
            ctx.caller.uid,
            ctx.caller.tenant_data(),
            p["client_id"],
            p["course_ref"],
            p["item_id"],
            operation,
            argument,
        )
    )


@api.route(
    "PUT",
    ITEM,
    summary="Replace the exercise",
    roles=MEMBERS,
    body=ExerciseChoice,
    response=ClientCourse,
    refusals=[errors.NotFound, catalogue.NotLicensed],
)
def replace_item(ctx: Context, body: ExerciseChoice) -> ClientCourse:
    return _item(ctx, "replace", body.exercise_id)


@api.route(
    "DELETE",
    ITEM,
    summary="Remove the exercise from the course",
    roles=MEMBERS,
    response=ClientCourse,
    refusals=[errors.NotFound],
)
def remove_item(ctx: Context, _: None) -> ClientCourse:
    return _item(ctx, "remove")


@api.route(
    "POST",
    ITEM + "/perform",
    summary="Perform the exercise: answers are checked, saved",
    roles=MEMBERS,
    body=Answers,
    response=ClientCourse,
    refusals=[errors.NotFound],
)
def perform_item(ctx: Context, body: Answers) -> ClientCourse:
    p = ctx.path_params
    return _course(
        courses.perform(
            ctx.caller.uid,
            ctx.caller.tenant_data(),
            p["client_id"],
            p["course_ref"],
            p["item_id"],
            body.answers,
        )
    )


@api.route(
    "PUT",
    ITEM + "/schedule",
    summary="Plan the exercise for a date",
    roles=MEMBERS,
    body=ScheduleDate,
    response=ClientCourse,
    refusals=[errors.NotFound],
)
def schedule_item(ctx: Context, body: ScheduleDate) -> ClientCourse:
    return _item(ctx, "schedule", body.date)


@api.route(
    "POST",
    ITEM + "/mark-sent",
    summary="Mark the exercise as sent as a remote task",
    roles=MEMBERS,
    response=ClientCourse,
    refusals=[errors.NotFound],
)
def mark_sent(ctx: Context, _: None) -> ClientCourse:
    return _item(ctx, "mark_sent")


@api.route(
    "GET",
    "/calendar",
    summary="What the caller has planned in a date range",
    roles=MEMBERS,
    query=CalendarQuery,
    response=Calendar,
)
def calendar(ctx: Context, _: None) -> Calendar:
    assert isinstance(ctx.query, CalendarQuery)
    entries = courses.calendar(ctx.caller, ctx.caller.tenant_data(), ctx.query.start, ctx.query.end)
    return Calendar(entries=[CalendarEntry.model_validate(e) for e in entries])


# -- the catalogue (C-4) ---------------------------------------------------------------------------


@api.route(
    "GET",
    "/catalogue",
    summary="The licensed focus areas and their content",
    roles=MEMBERS,
    response=CatalogueDocument,
)
def catalogue_overview(ctx: Context, _: None) -> CatalogueDocument:
    return CatalogueDocument(catalogue.overview(ctx.caller.tenant_data()))


@api.route(
    "GET",
    "/catalogue/exercises/{exercise_id}",
    summary="One exercise",
    roles=MEMBERS,
    response=CatalogueDocument,
    refusals=[errors.NotFound, catalogue.NotLicensed],
)
def get_exercise(ctx: Context, _: None) -> CatalogueDocument:
    return CatalogueDocument(
        catalogue.get_item(ctx.caller.tenant_data(), Kind.EXERCISES, ctx.path_params["exercise_id"])
    )


@api.route(
    "POST",
    "/catalogue/exercises/{exercise_id}/try",
    summary="Try an exercise without a client: answers are checked, not kept",
    roles=MEMBERS,
    body=Answers,
    response=Tried,
    refusals=[errors.NotFound, catalogue.NotLicensed],
)
def try_exercise(ctx: Context, body: Answers) -> Tried:
    data = ctx.caller.tenant_data()
    exercise_id = ctx.path_params["exercise_id"]
    exercise = catalogue.get_item(data, Kind.EXERCISES, exercise_id)
    checked = catalogue.validate_answers(exercise, body.answers)
    record_event(
        data,
        actor=ctx.caller.uid,
        action="exercise.tried",
        subject=f"catalogue/exercises/{exercise_id}",
        exercise_id=exercise_id,
    )
    return Tried(exercise_id=exercise_id, valid=True, answers=checked)


@api.route(
    "GET",
    "/catalogue/documents/{document_id}/download",
    summary="A short-lived link to download a document template",
    roles=MEMBERS,
    response=DownloadUrl,
    refusals=[errors.NotFound, catalogue.NotLicensed],
)
def download_document(ctx: Context, _: None) -> DownloadUrl:
    return DownloadUrl(
        url=catalogue.document_download(ctx.caller.tenant_data(), ctx.path_params["document_id"])
    )


def _kind(ctx: Context) -> Kind:
    try:
        return Kind(ctx.path_params["kind"])
    except ValueError:
        raise errors.NotFound(f"No catalogue kind '{ctx.path_params['kind']}'") from None


@api.route(
    "PUT",
    "/catalogue/{kind}/{item_id}",
    summary="Create or replace a catalogue item",
    roles=OWNER,
    body=CatalogueDocument,
    response=CatalogueDocument,
    refusals=[errors.NotFound],
)
def put_catalogue_item(ctx: Context, body: CatalogueDocument) -> CatalogueDocument:
    return CatalogueDocument(catalogue.put_item(_kind(ctx), ctx.path_params["item_id"], body.root))


@api.route(
    "DELETE",
    "/catalogue/{kind}/{item_id}",
    summary="Remove a catalogue item",
    roles=OWNER,
    refusals=[errors.NotFound],
)
def delete_catalogue_item(ctx: Context, _: None) -> None:
    catalogue.delete_item(_kind(ctx), ctx.path_params["item_id"])


@functions_framework.http
def clients_api(request: flask.Request) -> flask.Response:
    return api(request)
