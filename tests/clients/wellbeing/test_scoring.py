"""Scoring, group results and trends of well-being checks (pure logic, issue 17)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.clients.wellbeing.aggregate import (
    MINIMUM_GROUP,
    add_answers,
    group_result,
    minimum_for,
    stored_answers,
)
from functions.clients.wellbeing.questionnaires import CLASS4, SEEDED, WHO5, score
from functions.clients.wellbeing.trend import TrendPoint, build
from shared import errors


@pytest.mark.parametrize(
    ("answers", "raw", "scaled", "flagged"),
    [
        ([5, 5, 5, 5, 5], 25, 100, False),
        ([0, 0, 0, 0, 0], 0, 0, True),
        ([3, 2, 3, 2, 3], 13, 52, False),  # just above the line
        ([2, 3, 2, 3, 2], 12, 48, True),  # the highest score that is ≤ 50
        ([4, 3, 4, 2, 1], 14, 56, False),
        ([1, 1, 2, 1, 0], 5, 20, True),
    ],
)
def test_who5_worked_examples(answers: list[int], raw: int, scaled: int, flagged: bool) -> None:
    result = score(WHO5, answers)
    assert (result.raw, result.scaled, result.flagged) == (raw, scaled, flagged)


@pytest.mark.parametrize(
    ("answers", "scaled", "flagged"),
    [([4, 4, 4, 4], 100, False), ([2, 2, 2, 2], 50, True), ([2, 2, 2, 3], 56.25, False)],
)
def test_class_questionnaire_scales_to_100(
    answers: list[int], scaled: float, flagged: bool
) -> None:
    result = score(CLASS4, answers)
    assert (result.scaled, result.flagged) == (scaled, flagged)


@pytest.mark.parametrize(
    "answers",
    [[5, 5, 5, 5], [5, 5, 5, 5, 5, 5], [6, 0, 0, 0, 0], [-1, 0, 0, 0, 0], [True, 0, 0, 0, 0]],
)
def test_answers_off_the_scale_are_refused(answers: list[int]) -> None:
    with pytest.raises(errors.ValidationFailed):
        score(WHO5, answers)


def test_the_catalogue_seeds_who5_and_a_class_questionnaire() -> None:
    assert set(SEEDED) == {"who5", "class4"}
    assert len(WHO5.items) == 5
    assert WHO5.item_max == 5
    assert WHO5.threshold == 50


@given(st.lists(st.integers(0, 5), min_size=5, max_size=5))
def test_who5_is_raw_times_four(answers: list[int]) -> None:
    result = score(WHO5, answers)
    assert result.scaled == sum(answers) * 4
    assert result.flagged == (sum(answers) * 4 <= 50)


ANSWER_SETS = [[5, 4, 3, 4, 5], [1, 2, 1, 0, 2], [3, 3, 3, 3, 3], [4, 4, 5, 5, 4], [2, 1, 2, 3, 2]]


def test_four_answers_show_no_result_and_the_fifth_shows_it() -> None:
    stored: list[list[int]] = []
    for answers in ANSWER_SETS[:4]:
        stored = add_answers(stored, answers)
        assert group_result(WHO5, stored, minimum_for(None)) is None
    stored = add_answers(stored, ANSWER_SETS[4])
    result = group_result(WHO5, stored, minimum_for(None))
    assert result is not None
    assert result.answered == 5
    assert result.mean == sum(sum(a) * 4 for a in ANSWER_SETS) / 5


def test_a_tenant_may_raise_the_minimum_but_not_lower_it() -> None:
    assert minimum_for(3) == MINIMUM_GROUP
    assert minimum_for(0) == MINIMUM_GROUP
    assert minimum_for(7) == 7
    stored = stored_answers(WHO5, [*ANSWER_SETS, [0, 0, 0, 0, 0]])
    assert group_result(WHO5, stored, minimum_for(7)) is None
    assert group_result(WHO5, stored[:4], 1) is None  # a caller's low value is no way round
    assert group_result(WHO5, add_answers(stored, [1, 1, 1, 1, 1]), minimum_for(7)) is not None


@given(st.permutations(ANSWER_SETS))
def test_the_stored_order_reveals_nothing_of_the_entry_order(order: list[list[int]]) -> None:
    assert stored_answers(WHO5, order) == stored_answers(WHO5, ANSWER_SETS)


def test_an_answer_off_the_scale_is_not_stored() -> None:
    with pytest.raises(errors.ValidationFailed):
        stored_answers(WHO5, [*ANSWER_SETS, [9, 9, 9, 9, 9]])


def _points(*scores: float) -> list[TrendPoint]:
    start = date(2026, 9, 1)
    return [TrendPoint(on=start + timedelta(days=14 * i), score=s) for i, s in enumerate(scores)]


def test_a_steady_trend_above_the_threshold_is_not_flagged() -> None:
    trend = build(_points(70, 72, 68, 71), 50)
    assert not trend.falling
    assert not trend.below_threshold
    assert trend.advice is None


def test_a_relevant_fall_is_flagged_in_danish_by_default() -> None:
    trend = build(_points(80, 78, 66), 50)
    assert trend.falling
    assert not trend.below_threshold
    assert trend.advice == "Overvej en målrettet indsats"
    assert build(_points(80, 78, 66), 50, "en").advice == "Consider a targeted intervention"


def test_three_small_falls_in_a_row_are_a_falling_trend() -> None:
    assert build(_points(80, 76, 72, 68), 50).falling
    assert not build(_points(80, 76, 77, 72), 50).falling


def test_a_score_at_the_threshold_is_flagged() -> None:
    trend = build(_points(60, 52, 50), 50)
    assert trend.below_threshold
    assert trend.advice is not None


def test_points_are_ordered_by_date_whatever_order_they_come_in() -> None:
    points = _points(40, 60, 80)
    trend = build(list(reversed(points)), 50)
    assert [p.score for p in trend.points] == [40, 60, 80]
    assert not trend.falling
    assert not trend.below_threshold


def test_the_chart_carries_the_figures_of_the_json() -> None:
    import xml.etree.ElementTree as ET

    from functions.clients.wellbeing.trend import render_svg

    trend = build(_points(72, 64.5, 48), 50)
    root = ET.fromstring(render_svg(trend, "Trivsel"))  # noqa: S314 (our own)
    values = [
        float(el.text or "nan")
        for el in root.iter("{http://www.w3.org/2000/svg}desc")
        if el.get("class") == "value"
    ]
    assert values == [p.score for p in trend.model_validate_json(trend.model_dump_json()).points]
