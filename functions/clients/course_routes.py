"""clients_api's routes for a client's courses (SPEC C-5) and the caller's calendar."""

from __future__ import annotations

from functions.clients import courses
from functions.clients.models import (
    Answers,
    Calendar,
    CalendarEntry,
    CalendarQuery,
    CourseAssign,
    ExerciseChoice,
    ScheduleDate,
)
from functions.clients.route_paths import (
    CHANGES,
    CLIENT,
    COURSE,
    ITEM,
    MEMBERS,
)
from shared import courses as course_items
from shared import errors
from shared.catalogue import (
    NotLicensed,
)
from shared.courses import AlreadyPerformed, ClientCourse, ItemRef
from shared.events import record_event
from shared.http import Api
from shared.principal import Principal
from shared.tenancy import TenantData


def register(api: Api) -> None:
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

    @api.route(
        "GET", "/calendar", summary="What the caller has planned in a date range", roles=MEMBERS
    )
    def calendar(caller: Principal, tenant: TenantData, query: CalendarQuery) -> Calendar:
        entries = courses.calendar(caller, tenant, query.start, query.end)
        return Calendar(entries=[CalendarEntry.model_validate(e) for e in entries])
