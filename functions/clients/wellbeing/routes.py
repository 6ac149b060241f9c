"""clients_api's routes for well-being checks at group level (issue 17).

No route returns an answer set: a check answers with its count and, from the minimum
on, the group's result; the trend is made of group results only.
"""

from __future__ import annotations

import flask
from pydantic import BaseModel

from functions.clients.route_paths import ADMIN, CHANGES, MEMBERS
from functions.clients.wellbeing import own, programme, settings, store
from functions.clients.wellbeing.models import (
    ChartLink,
    Check,
    Group,
    GroupAnswer,
    GroupList,
    GroupTrend,
    NewCheck,
    NewGroup,
    Share,
)
from functions.clients.wellbeing.questionnaires import SEEDED, Questionnaire
from functions.clients.wellbeing.trend import Trend, render_svg
from shared import errors, storage
from shared.catalogue import NotLicensed
from shared.http import Api
from shared.principal import Principal
from shared.tenancy import TenantData
from shared.tenants import WellbeingSettings

GROUP = "/wellbeing/groups/<group_id>"
CHECK = GROUP + "/checks/<check_id>"


def _language(request: flask.Request) -> str:
    return "en" if request.args.get("lang") == "en" else "da"


def register(api: Api) -> None:
    @api.route(
        "POST",
        "/wellbeing/groups",
        summary="Form a group",
        roles=MEMBERS,
        status=201,
        refusals=[errors.NotFound],
    )
    def create_group(caller: Principal, tenant: TenantData, body: NewGroup) -> Group:
        return store.create_group(caller, tenant, body)

    @api.route("GET", "/wellbeing/groups", summary="The caller's groups", roles=MEMBERS)
    def list_groups(caller: Principal, tenant: TenantData) -> GroupList:
        return store.list_groups(caller, tenant)

    @api.route("GET", GROUP, summary="One group", roles=MEMBERS)
    def get_group(caller: Principal, tenant: TenantData, group_id: str) -> Group:
        return store.load_group(caller, tenant, group_id)

    @api.route("POST", GROUP + "/share", summary="Share a group with a professional", roles=ADMIN)
    def share_group(caller: Principal, tenant: TenantData, group_id: str, body: Share) -> Group:
        return store.share_group(caller, tenant, group_id, body.uid)

    @api.route("POST", GROUP + "/checks", summary="Open a group check", roles=MEMBERS, status=201)
    def open_check(caller: Principal, tenant: TenantData, group_id: str, body: NewCheck) -> Check:
        return store.open_check(caller, tenant, group_id, body)

    @api.route("GET", CHECK, summary="A check: how many answered, the group result", roles=MEMBERS)
    def get_check(caller: Principal, tenant: TenantData, group_id: str, check_id: str) -> Check:
        return store.get_check(caller, tenant, group_id, check_id)

    @api.route(
        "POST",
        CHECK + "/answers",
        summary="One client's answers, stored without their id",
        roles=MEMBERS,
        status=201,
        refusals=[store.AlreadyAnswered, store.CheckClosed, store.NotInGroup, *CHANGES],
    )
    def answer(
        caller: Principal, tenant: TenantData, group_id: str, check_id: str, body: GroupAnswer
    ) -> Check:
        return store.answer(caller, tenant, group_id, check_id, body)

    @api.route(
        "POST",
        CHECK + "/close",
        summary="Close a check: it takes no more answers and shows its result",
        roles=MEMBERS,
    )
    def close_check(caller: Principal, tenant: TenantData, group_id: str, check_id: str) -> Check:
        return store.close_check(caller, tenant, group_id, check_id)

    @api.route("GET", GROUP + "/trend", summary="The group's trend (JSON)", roles=MEMBERS)
    def trend(caller: Principal, tenant: TenantData, group_id: str) -> GroupTrend:
        return store.group_trend(caller, tenant, group_id, _language(flask.request))

    @api.route(
        "GET", GROUP + "/trend.svg", summary="A signed link to the trend chart", roles=MEMBERS
    )
    def trend_svg(caller: Principal, tenant: TenantData, group_id: str) -> ChartLink:
        found = store.group_trend(caller, tenant, group_id, _language(flask.request))
        # As the SLA report's chart: an SVG in Storage, opened by a signed link.
        name = storage.tenant_object(tenant, "wellbeing_charts", group_id)
        blob = storage.uploads_bucket().blob(name)
        svg = render_svg(found.trend, "Trivsel i gruppen")
        blob.upload_from_string(svg, content_type="image/svg+xml")
        return ChartLink(url=storage.signed_download(name))

    @api.route(
        "POST",
        "/wellbeing/me/checks",
        summary="Answer a check for oneself",
        roles=MEMBERS,
        status=201,
    )
    def take_own(caller: Principal, tenant: TenantData, body: own.OwnAnswers) -> own.OwnCheck:
        return own.take(caller, tenant, body)

    @api.route("GET", "/wellbeing/me/trend", summary="One's own WHO-5 trend", roles=MEMBERS)
    def own_trend(caller: Principal, tenant: TenantData) -> Trend:
        return own.own_trend(caller, tenant, _language(flask.request))

    # The own programme (VoksenRo): the caller's alone; the administrator gets counts.
    own_programme = "/wellbeing/me/programme"
    found_or_not = [errors.NotFound, NotLicensed]

    @api.route(
        "PUT",
        own_programme,
        summary="Follow a catalogue course for oneself (replaces the one before)",
        roles=MEMBERS,
        refusals=found_or_not,
    )
    def start_programme(
        caller: Principal, tenant: TenantData, body: programme.NewProgramme
    ) -> programme.Programme:
        return programme.start(caller, tenant, body)

    @api.route(
        "GET",
        own_programme,
        summary="One's own programme and progress",
        roles=MEMBERS,
        refusals=found_or_not,
    )
    def my_programme(caller: Principal, tenant: TenantData) -> programme.Programme:
        return programme.mine(caller, tenant)

    @api.route(
        "POST",
        own_programme + "/done/<exercise_id>",
        summary="Mark one exercise of one's programme done",
        roles=MEMBERS,
        refusals=[*found_or_not, programme.NotInCourse],
    )
    def tick_programme(
        caller: Principal, tenant: TenantData, exercise_id: str
    ) -> programme.Programme:
        return programme.tick(caller, tenant, exercise_id)

    @api.route("DELETE", own_programme, summary="Stop following one's programme", roles=MEMBERS)
    def leave_programme(caller: Principal, tenant: TenantData) -> None:
        programme.leave(caller, tenant)

    @api.route(
        "GET",
        "/wellbeing/programmes",
        summary="How many professionals follow a programme (counts only)",
        roles=ADMIN,
    )
    def programme_counts(caller: Principal, tenant: TenantData) -> programme.Participation:
        return programme.participation(tenant)

    @api.route(
        "GET", "/wellbeing/settings", summary="The tenant's well-being settings", roles=MEMBERS
    )
    def wellbeing_settings(caller: Principal, tenant: TenantData) -> WellbeingSettings:
        return settings.current(tenant)

    @api.route(
        "PUT",
        "/wellbeing/settings",
        summary="Change how often checks fall due and the minimum group (at least 5)",
        roles=ADMIN,
    )
    def change_wellbeing_settings(
        caller: Principal, tenant: TenantData, body: WellbeingSettings
    ) -> WellbeingSettings:
        return settings.change(caller, tenant, body)

    # The validated questionnaires, in the catalogue for every signed-in user to read. They
    # are not editable: a validated instrument's items and scoring are what make it valid.
    @api.route("GET", "/catalogue/questionnaires", summary="The well-being questionnaires")
    def questionnaires(caller: Principal) -> QuestionnaireList:
        return QuestionnaireList(questionnaires=list(SEEDED.values()))

    @api.route(
        "GET",
        "/catalogue/questionnaires/<questionnaire_id>",
        summary="One questionnaire with its items and scoring",
    )
    def one_questionnaire(caller: Principal, questionnaire_id: str) -> Questionnaire:
        found = SEEDED.get(questionnaire_id)
        if found is None:
            raise errors.NotFound(f"No questionnaire {questionnaire_id}")
        return found


class QuestionnaireList(BaseModel):
    questionnaires: list[Questionnaire]
