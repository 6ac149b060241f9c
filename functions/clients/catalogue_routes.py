"""clients_api's routes for the catalogue (SPEC C-4): members read and try what their
licence includes; the owner writes each kind of item."""

from __future__ import annotations

from pydantic import BaseModel

from functions.clients import catalogue
from functions.clients.models import (
    Answers,
    CatalogueOverview,
    DownloadUrl,
    Tried,
)
from functions.clients.route_paths import (
    MEMBERS,
    OWNER,
)
from shared.catalogue import (
    STORED,
    WRITTEN,
    ExerciseItem,
    Kind,
    NotLicensed,
    licensed_exercise,
    validate_answers,
)
from shared.events import record_event
from shared.http import Api
from shared.principal import Principal
from shared.tenancy import TenantData


def register(api: Api) -> None:
    @api.route(
        "GET", "/catalogue", summary="The licensed focus areas and their content", roles=MEMBERS
    )
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
    def try_exercise(
        caller: Principal, tenant: TenantData, exercise_id: str, body: Answers
    ) -> Tried:
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
        put.__annotations__ = {
            "caller": Principal,
            "item_id": str,
            "body": written,
            "return": stored,
        }
        delete.__annotations__ = {"caller": Principal, "item_id": str, "return": None}
        api.route("PUT", path, summary=f"Create or replace a {kind.value} item", roles=OWNER)(put)
        api.route("DELETE", path, summary=f"Remove a {kind.value} item", roles=OWNER)(delete)

    for _kind in Kind:
        _owner_routes(_kind)
