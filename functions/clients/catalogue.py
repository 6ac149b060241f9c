"""The owner's side of the content catalogue, and the tenant's overview of it (SPEC C-4).

The item models, the licence check and answer validation are in shared/catalogue.py,
where remote tasks read them too.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from functions.clients.models import CatalogueOverview, FocusAreaContent
from shared import errors
from shared.catalogue import STORED, DocumentItem, Kind, collection_name, licensed
from shared.gcp import firestore_client
from shared.models import SLUG
from shared.storage import signed_download
from shared.tenancy import TenantData
from shared.tenants import load


def put_item(kind: Kind, item_id: str, item: BaseModel) -> BaseModel:
    """Create or replace one catalogue item, after checking what it refers to."""
    doc = item.model_dump(mode="json")
    if kind is Kind.FOCUS_AREAS and not re.fullmatch(SLUG, item_id):
        raise errors.ValidationFailed("A focus area id is a lower-case slug (it names licences)")
    if kind is not Kind.FOCUS_AREAS:
        _must_exist(Kind.FOCUS_AREAS, doc["focus_area"])
    if kind is Kind.COURSES:
        for module in doc["modules"]:
            for exercise_id in module["exercise_ids"]:
                exercise = _must_exist(Kind.EXERCISES, exercise_id)
                if exercise["focus_area"] != doc["focus_area"]:
                    # Else a licensed course could carry an unlicensed exercise.
                    raise errors.ValidationFailed(
                        f"Exercise '{exercise_id}' belongs to another focus area"
                    )
        # Flat, so that deleting an exercise can find the courses that use it.
        doc["exercise_ids"] = sorted({e for m in doc["modules"] for e in m["exercise_ids"]})
    firestore_client().collection(collection_name(kind)).document(item_id).set(doc)
    return STORED[kind].model_validate({"id": item_id, **doc})


def delete_item(kind: Kind, item_id: str) -> None:
    db = firestore_client()
    ref = db.collection(collection_name(kind)).document(item_id)
    if not ref.get().exists:
        raise errors.NotFound(f"No {kind.value} item {item_id}")
    if kind is Kind.FOCUS_AREAS:
        users = [
            db.collection(collection_name(k)).where("focus_area", "==", item_id).limit(1)
            for k in (Kind.COURSES, Kind.EXERCISES, Kind.DOCUMENTS, Kind.VIDEOS)
        ]
    elif kind is Kind.EXERCISES:
        users = [
            db.collection(collection_name(Kind.COURSES))
            .where("exercise_ids", "array_contains", item_id)
            .limit(1)
        ]
    else:
        users = []
    if any(query.get() for query in users):
        raise errors.Conflict(f"Other catalogue items still use '{item_id}'")
    ref.delete()


def _must_exist(kind: Kind, item_id: str) -> dict[str, Any]:
    snapshot = firestore_client().collection(collection_name(kind)).document(item_id).get()
    if not snapshot.exists:
        raise errors.ValidationFailed(
            f"Unknown {kind.value} item '{item_id}'",
            errors=[{"field": kind.value, "message": "unknown id"}],
        )
    return snapshot.to_dict() or {}


def overview(data: TenantData) -> CatalogueOverview:
    """Every licensed focus area with its courses, exercises, documents and videos."""
    db = firestore_client()
    result = []
    for area in sorted(load(data).focus_areas):
        snapshot = db.collection(collection_name(Kind.FOCUS_AREAS)).document(area).get()
        if not snapshot.exists:
            continue

        def items(kind: Kind, area: str = area) -> list[dict[str, Any]]:
            query = db.collection(collection_name(kind)).where("focus_area", "==", area)
            return [{"id": s.id, **(s.to_dict() or {})} for s in query.get()]

        result.append(
            FocusAreaContent.model_validate(
                {
                    "id": area,
                    **(snapshot.to_dict() or {}),
                    "courses": items(Kind.COURSES),
                    "exercises": items(Kind.EXERCISES),
                    "documents": items(Kind.DOCUMENTS),
                    "videos": items(Kind.VIDEOS),
                }
            )
        )
    return CatalogueOverview(focus_areas=result)


def document_download(data: TenantData, document_id: str) -> str:
    document = licensed(data, Kind.DOCUMENTS, document_id, DocumentItem)
    return signed_download(document.object)
