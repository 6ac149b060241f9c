"""The supplier's content catalogue as every area reads it (SPEC C-4).

Focus areas hold courses (modules of exercises), documents (templates to print)
and learning-portal videos, in `catalogue_*` collections owned by the system owner.
A tenant sees the focus areas of its licence. Answers to an exercise are validated
here by its kind, wherever they come from (tried, performed, answered by a link).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, StringConstraints, TypeAdapter, ValidationError

from shared import errors
from shared.gcp import firestore_client
from shared.models import ID, SLUG, Strict
from shared.tenancy import TenantData
from shared.tenants import load

Text = Annotated[str, Field(max_length=5000)]


class Kind(StrEnum):
    FOCUS_AREAS = "focus-areas"
    COURSES = "courses"
    EXERCISES = "exercises"
    DOCUMENTS = "documents"
    VIDEOS = "videos"


def collection_name(kind: Kind) -> str:
    return "catalogue_" + kind.value.replace("-", "_")


class NotLicensed(errors.ApiError):
    status, code = 403, "not_licensed"
    title = "Your organisation's licence does not include this focus area"


# -- the items, as the owner writes them -----------------------------------------------------


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
    # One line for whoever is sent the exercise: what it is for (the e-mail and the page).
    purpose: str = Field(default="", max_length=300)
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


# -- the items, as stored and read (with their id) ---------------------------------------------


class FocusAreaItem(FocusArea):
    id: str


class ExerciseItem(Exercise):
    id: str


class CourseItem(Course):
    id: str
    # Flat, so that deleting an exercise can find the courses that use it.
    exercise_ids: list[str] = Field(default_factory=list)


class DocumentItem(Document):
    id: str


class VideoItem(Video):
    id: str


WRITTEN: dict[Kind, type[Strict]] = {
    Kind.FOCUS_AREAS: FocusArea,
    Kind.COURSES: Course,
    Kind.EXERCISES: Exercise,
    Kind.DOCUMENTS: Document,
    Kind.VIDEOS: Video,
}
STORED: dict[Kind, type[Strict]] = {
    Kind.FOCUS_AREAS: FocusAreaItem,
    Kind.COURSES: CourseItem,
    Kind.EXERCISES: ExerciseItem,
    Kind.DOCUMENTS: DocumentItem,
    Kind.VIDEOS: VideoItem,
}
Item = TypeVar("Item", bound=Strict)


def read(kind: Kind, item_id: str, model: type[Item]) -> Item | None:
    """One catalogue item as stored, or None."""
    snapshot = firestore_client().collection(collection_name(kind)).document(item_id).get()
    if not snapshot.exists:
        return None
    return model.model_validate({**(snapshot.to_dict() or {}), "id": item_id})


def licensed(
    tenant: TenantData,
    kind: Kind,
    item_id: str,
    model: type[Item],
    focus_areas: set[str] | None = None,
) -> Item:
    """One item the tenant may see: 404 if it does not exist, 403 if not licensed.

    `focus_areas` saves reading the tenant again when the caller has it.
    """
    item = read(kind, item_id, model)
    if item is None:
        raise errors.NotFound(f"No {kind.value} item {item_id}")
    area = str(getattr(item, "focus_area", item_id))  # a focus area is its own area
    if area not in (focus_areas if focus_areas is not None else load(tenant).focus_areas):
        raise NotLicensed(f"The focus area '{area}' is not in your licence")
    return item


def licensed_exercise(
    tenant: TenantData, exercise_id: str, focus_areas: set[str] | None = None
) -> ExerciseItem:
    return licensed(tenant, Kind.EXERCISES, exercise_id, ExerciseItem, focus_areas)


def licensed_course(tenant: TenantData, course_id: str) -> CourseItem:
    return licensed(tenant, Kind.COURSES, course_id, CourseItem)


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


ANSWER_MODELS: dict[str, type[BaseModel]] = {
    "memory_game": MemoryGameAnswer,
    "reflection": TextAnswers,
    "film_reflection": FilmAnswers,
    "vr_film": VrAnswer,
}


def validate_answers(exercise: Exercise, answers: Any) -> dict[str, Any]:
    """The answers to one exercise, checked against its kind and content."""
    content = exercise.content
    try:
        parsed = TypeAdapter(ANSWER_MODELS[content.kind]).validate_python(answers)
    except ValidationError as exc:
        raise errors.ValidationFailed(
            f"The answers do not fit a {content.kind} exercise",
            errors=errors.validation_errors(exc.errors()),
        ) from None
    problems: list[dict[str, Any]] = []
    pairs = len(content.pairs) if isinstance(content, MemoryGame) else 0
    if isinstance(parsed, MemoryGameAnswer) and parsed.matched_pairs > pairs:
        problems.append({"field": "matched_pairs", "message": "more pairs than the game has"})
    if isinstance(content, Reflection | FilmReflection) and isinstance(parsed, TextAnswers):
        expected = {f.id for f in content.fields}
        problems += [
            {"field": f"answers.{k}", "message": "no such field"}
            for k in sorted(set(parsed.answers) - expected)
        ]
        problems += [
            {"field": f"answers.{k}", "message": "missing"}
            for k in sorted(expected - set(parsed.answers))
        ]
    duration = content.duration_seconds if isinstance(content, VrFilm) else 0
    if isinstance(parsed, VrAnswer) and parsed.watched_seconds > duration:
        problems.append({"field": "watched_seconds", "message": "longer than the film"})
    if problems:
        raise errors.ValidationFailed(
            f"The answers do not fit this {content.kind} exercise", errors=problems
        )
    result: dict[str, Any] = parsed.model_dump()
    return result
