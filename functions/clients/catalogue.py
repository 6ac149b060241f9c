"""The content catalogue, owned by the system owner (SPEC C-4).

Focus areas hold courses (modules of exercises), documents (templates to print)
and learning-portal videos. A tenant sees the focus areas its licence includes.
Exercise answers are validated here by kind, for trying and performing alike.
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, TypeAdapter, ValidationError

from functions.clients.models import ID, SLUG, Strict, Text
from shared import errors
from shared.gcp import firestore_client
from shared.storage import UPLOADS, bucket_name, signed_url
from shared.tenancy import TenantData

URL_LIFETIME = timedelta(minutes=15)


class Kind(StrEnum):
    FOCUS_AREAS = "focus-areas"
    COURSES = "courses"
    EXERCISES = "exercises"
    DOCUMENTS = "documents"
    VIDEOS = "videos"


def collection_name(kind: Kind) -> str:
    return "catalogue_" + kind.value.replace("-", "_")


class FocusArea(Strict):
    name: str = Field(min_length=1, max_length=100)
    description: Text = ""


class AnswerField(Strict):
    id: str = Field(pattern=SLUG)
    label: str = Field(min_length=1, max_length=300)


class Pair(Strict):
    """Two cards that belong together (Firestore cannot store arrays in arrays)."""

    front: str = Field(min_length=1, max_length=200)
    back: str = Field(min_length=1, max_length=200)


class MemoryGame(Strict):
    kind: Literal["memory_game"]
    pairs: list[Pair] = Field(min_length=2, max_length=30)


class Reflection(Strict):
    kind: Literal["reflection"]
    fields: list[AnswerField] = Field(min_length=1, max_length=20)


class FilmReflection(Strict):
    kind: Literal["film_reflection"]
    video_url: str = Field(pattern=r"^https://")
    fields: list[AnswerField] = Field(min_length=1, max_length=20)


class VrFilm(Strict):
    kind: Literal["vr_film"]
    film_id: str = Field(pattern=ID)
    duration_seconds: int = Field(ge=1, le=3 * 3600)


Content = Annotated[MemoryGame | Reflection | FilmReflection | VrFilm, Field(discriminator="kind")]


class Exercise(Strict):
    focus_area: str = Field(pattern=SLUG)
    title: str = Field(min_length=1, max_length=200)
    instructions: Text = ""
    content: Content


class Module(Strict):
    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=1, max_length=200)
    exercise_ids: list[Annotated[str, Field(pattern=ID)]] = Field(min_length=1, max_length=50)


class Course(Strict):
    focus_area: str = Field(pattern=SLUG)
    title: str = Field(min_length=1, max_length=200)
    description: Text = ""
    modules: list[Module] = Field(min_length=1, max_length=30)


class Document(Strict):
    focus_area: str = Field(pattern=SLUG)
    title: str = Field(min_length=1, max_length=200)
    purpose: Text
    object: str = Field(pattern=r"^catalogue/documents/[A-Za-z0-9._/-]+$")
    content_type: str = "application/pdf"


class Video(Strict):
    focus_area: str = Field(pattern=SLUG)
    title: str = Field(min_length=1, max_length=200)
    description: Text = ""
    url: str = Field(pattern=r"^https://")


MODELS: dict[Kind, type[BaseModel]] = {
    Kind.FOCUS_AREAS: FocusArea,
    Kind.COURSES: Course,
    Kind.EXERCISES: Exercise,
    Kind.DOCUMENTS: Document,
    Kind.VIDEOS: Video,
}


class NotLicensed(errors.ApiError):
    status, code = 403, "not_licensed"
    title = "Your organisation's licence does not include this focus area"


# -- the owner's side ---------------------------------------------------------------------------


def put_item(kind: Kind, item_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create or replace one catalogue item, after checking what it refers to."""
    try:
        item = MODELS[kind].model_validate(body)
    except ValidationError as exc:
        raise errors.ValidationFailed(
            f"{exc.error_count()} field(s) are not valid",
            errors=errors.validation_errors(exc.errors()),
        ) from None
    doc = item.model_dump(mode="json")
    db = firestore_client()
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
    db.collection(collection_name(kind)).document(item_id).set(doc)
    return {"id": item_id, **doc}


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


# -- what a tenant sees ------------------------------------------------------------------------


def licensed_areas(data: TenantData) -> set[str]:
    tenant = data.root.get().to_dict() or {}
    return set((tenant.get("licence") or {}).get("focus_areas", []))


def get_item(data: TenantData, kind: Kind, item_id: str) -> dict[str, Any]:
    """One item the tenant may see: 404 if it does not exist, 403 if not licensed."""
    snapshot = firestore_client().collection(collection_name(kind)).document(item_id).get()
    if not snapshot.exists:
        raise errors.NotFound(f"No {kind.value} item {item_id}")
    item = snapshot.to_dict() or {}
    area = item_id if kind is Kind.FOCUS_AREAS else item["focus_area"]
    if area not in licensed_areas(data):
        raise NotLicensed(f"The focus area '{area}' is not in your licence")
    return {"id": item_id, **item}


def overview(data: TenantData) -> dict[str, Any]:
    """Every licensed focus area with its courses, exercises, documents and videos."""
    db = firestore_client()
    areas = sorted(licensed_areas(data))
    result: dict[str, Any] = {"focus_areas": []}
    for area in areas:
        snapshot = db.collection(collection_name(Kind.FOCUS_AREAS)).document(area).get()
        if not snapshot.exists:
            continue
        entry: dict[str, Any] = {"id": area, **(snapshot.to_dict() or {})}
        for kind in (Kind.COURSES, Kind.EXERCISES, Kind.DOCUMENTS, Kind.VIDEOS):
            query = db.collection(collection_name(kind)).where("focus_area", "==", area)
            entry[kind.value] = [{"id": s.id, **(s.to_dict() or {})} for s in query.get()]
        result["focus_areas"].append(entry)
    return result


def document_download(data: TenantData, document_id: str) -> str:
    document = get_item(data, Kind.DOCUMENTS, document_id)
    return signed_url(bucket_name(UPLOADS), document["object"], method="GET", expires=URL_LIFETIME)


# -- answers, by exercise kind -------------------------------------------------------------------


class MemoryGameAnswer(Strict):
    matched_pairs: int = Field(ge=0)
    moves: int = Field(ge=0, le=10_000)
    seconds: int = Field(ge=0, le=24 * 3600)


class TextAnswers(Strict):
    answers: dict[
        str, Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    ]


class FilmAnswers(TextAnswers):
    watched: bool


class VrAnswer(Strict):
    watched_seconds: int = Field(ge=0)
    stopped_early: bool = False


ANSWER_MODELS: dict[str, type[Strict]] = {
    "memory_game": MemoryGameAnswer,
    "reflection": TextAnswers,
    "film_reflection": FilmAnswers,
    "vr_film": VrAnswer,
}


def validate_answers(exercise: dict[str, Any], answers: Any) -> dict[str, Any]:
    """The answers to one exercise, checked against its kind and content."""
    content = exercise["content"]
    kind = content["kind"]
    model = ANSWER_MODELS[kind]
    try:
        parsed = TypeAdapter(model).validate_python(answers)
    except ValidationError as exc:
        raise errors.ValidationFailed(
            f"The answers do not fit a {kind} exercise",
            errors=errors.validation_errors(exc.errors()),
        ) from None
    problems: list[dict[str, Any]] = []
    if isinstance(parsed, MemoryGameAnswer) and parsed.matched_pairs > len(content["pairs"]):
        problems.append({"field": "matched_pairs", "message": "more pairs than the game has"})
    if isinstance(parsed, TextAnswers):
        expected = {f["id"] for f in content["fields"]}
        problems += [
            {"field": f"answers.{k}", "message": "no such field"}
            for k in sorted(set(parsed.answers) - expected)
        ]
        problems += [
            {"field": f"answers.{k}", "message": "missing"}
            for k in sorted(expected - set(parsed.answers))
        ]
    if isinstance(parsed, VrAnswer) and parsed.watched_seconds > content["duration_seconds"]:
        problems.append({"field": "watched_seconds", "message": "longer than the film"})
    if problems:
        raise errors.ValidationFailed(
            f"The answers do not fit this {kind} exercise", errors=problems
        )
    return parsed.model_dump()
