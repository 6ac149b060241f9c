"""A group check's answers and result, at group level by design.

A group check is stored as two documents: participation (which clients took part; it
carries client ids so it reaches their log, export and erasure) and the answers (answer
sets with no client id, kept sorted so their order says nothing about who answered when).
The result is a mean over the answer sets and only exists from MINIMUM_GROUP answers on;
a tenant may raise that minimum, never lower it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from functions.clients.wellbeing.questionnaires import Questionnaire, score

MINIMUM_GROUP = 5


class GroupResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    answered: int
    mean: float
    flagged: bool
    # Per item means: a group-level profile, never one person's answers.
    item_means: tuple[float, ...]


def minimum_for(tenant_setting: int | None) -> int:
    """The tenant's minimum group size: its own setting when higher, never below 5."""
    if tenant_setting is None:
        return MINIMUM_GROUP
    return max(MINIMUM_GROUP, tenant_setting)


def stored_answers(
    questionnaire: Questionnaire, answer_sets: Iterable[Sequence[int]]
) -> list[list[int]]:
    """The answer sets as they are stored: each validated, then all sorted, so the stored
    order is a function of the answers alone (not of who entered them, nor when)."""
    checked = []
    for answers in answer_sets:
        score(questionnaire, answers)  # refuses what is not on the scale
        checked.append([int(a) for a in answers])
    return sorted(checked)


def add_answers(stored: Sequence[Sequence[int]], answers: Sequence[int]) -> list[list[int]]:
    """One more answer set into an already stored (sorted) list, keeping it sorted."""
    return sorted([*[list(a) for a in stored], list(answers)])


def group_result(
    questionnaire: Questionnaire, stored: Sequence[Sequence[int]], minimum: int
) -> GroupResult | None:
    """The group's result, or None while fewer than `minimum` (≥ 5) answered."""
    if len(stored) < max(MINIMUM_GROUP, minimum):
        return None
    scores = [score(questionnaire, answers).scaled for answers in stored]
    mean = round(sum(scores) / len(scores), 2)
    item_means = tuple(
        round(sum(answers[i] for answers in stored) / len(stored), 2)
        for i in range(len(questionnaire.items))
    )
    return GroupResult(
        answered=len(stored),
        mean=mean,
        flagged=mean <= questionnaire.threshold,
        item_means=item_means,
    )
