"""The validated well-being questionnaires in the owner's catalogue, and their scoring.

WHO-5 (WHO Well-Being Index, 1998 version): five items, each answered 0 ("at no time")
to 5 ("all of the time"); the raw score (0-25) times 4 gives 0-100; a score of 50 or less
suggests poor well-being. The class questionnaire is a short pupils' questionnaire on a
smiley scale 0-4 (four items), scaled to 0-100 the same way so trends are comparable.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared import errors


class Audience(StrEnum):
    ADULT = "adult"
    CLASS = "class"


class Item(BaseModel):
    model_config = ConfigDict(frozen=True)
    da: str
    en: str


class Questionnaire(BaseModel):
    """One questionnaire with its scoring rule: raw = sum of items, scaled = raw * multiplier
    (0-100), flagged when scaled ≤ threshold."""

    model_config = ConfigDict(frozen=True)
    id: str
    title_da: str
    title_en: str
    audience: Audience
    items: tuple[Item, ...]
    item_min: int = 0
    item_max: int = Field(gt=0)
    multiplier: float = Field(gt=0)
    threshold: float = Field(ge=0, le=100)


class Score(BaseModel):
    model_config = ConfigDict(frozen=True)
    raw: int
    scaled: float
    flagged: bool


WHO5 = Questionnaire(
    id="who5",
    title_da="WHO-5 Trivselsindeks",
    title_en="WHO-5 Well-Being Index",
    audience=Audience.ADULT,
    items=(
        Item(
            da="Jeg har været glad og i godt humør", en="I have felt cheerful and in good spirits"
        ),
        Item(da="Jeg har følt mig rolig og afslappet", en="I have felt calm and relaxed"),
        Item(da="Jeg har følt mig aktiv og energisk", en="I have felt active and vigorous"),
        Item(
            da="Jeg er vågnet frisk og udhvilet",
            en="I woke up feeling fresh and rested",
        ),
        Item(
            da="Min dagligdag har været fyldt med ting, der interesserer mig",
            en="My daily life has been filled with things that interest me",
        ),
    ),
    item_max=5,
    multiplier=4,
    threshold=50,
)

CLASS4 = Questionnaire(
    id="class4",
    title_da="Trivsel i klassen",
    title_en="Well-being in class",
    audience=Audience.CLASS,
    items=(
        Item(da="Jeg er glad for at gå i skole", en="I like going to school"),
        Item(
            da="Jeg har nogen at være sammen med i frikvarteret",
            en="I have someone to be with at break",
        ),
        Item(da="Jeg føler mig tryg i klassen", en="I feel safe in class"),
        Item(da="Jeg kan koncentrere mig i timerne", en="I can concentrate in lessons"),
    ),
    item_max=4,
    multiplier=100 / 16,
    threshold=50,
)

SEEDED: dict[str, Questionnaire] = {q.id: q for q in (WHO5, CLASS4)}


def score(questionnaire: Questionnaire, answers: Sequence[int]) -> Score:
    """Score one answer set; a wrong number of answers or a value off the scale is refused."""
    if len(answers) != len(questionnaire.items):
        raise errors.ValidationFailed(
            f"{questionnaire.id} has {len(questionnaire.items)} items, got {len(answers)} answers"
        )
    for value in answers:
        # bool is an int in Python; a True is not an answer on a scale.
        if isinstance(value, bool) or not isinstance(value, int):
            raise errors.ValidationFailed("Each answer is a whole number")
        if not questionnaire.item_min <= value <= questionnaire.item_max:
            raise errors.ValidationFailed(
                f"Each answer is between {questionnaire.item_min} and {questionnaire.item_max}"
            )
    raw = sum(answers)
    scaled = round(raw * questionnaire.multiplier, 2)
    return Score(raw=raw, scaled=scaled, flagged=scaled <= questionnaire.threshold)
