"""Trend over time of a group's results or a professional's own scores, as JSON and SVG.

A point under (or at) the questionnaire's threshold is flagged, and so is a falling
trend: the latest score 10 points or more below the one before it (10 points on WHO-5's
0-100 scale is the change counted as clinically relevant) or three falls in a row.
pygal is imported only when a chart is drawn (as in support/sla/report.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

RELEVANT_CHANGE = 10.0
ADVICE_DA = "Overvej en målrettet indsats"
ADVICE_EN = "Consider a targeted intervention"


class TrendPoint(BaseModel):
    model_config = ConfigDict(frozen=True)
    on: date
    score: float


class Trend(BaseModel):
    model_config = ConfigDict(frozen=True)
    threshold: float
    points: tuple[TrendPoint, ...]
    below_threshold: bool
    falling: bool
    advice: str | None


def build(points: Sequence[TrendPoint], threshold: float, language: str = "da") -> Trend:
    ordered = tuple(sorted(points, key=lambda p: p.on))
    scores = [p.score for p in ordered]
    below = bool(scores) and scores[-1] <= threshold
    falling = False
    if len(scores) >= 2 and scores[-2] - scores[-1] >= RELEVANT_CHANGE:
        falling = True
    if len(scores) >= 4 and scores[-4] > scores[-3] > scores[-2] > scores[-1]:
        falling = True
    advice = None
    if below or falling:
        advice = ADVICE_EN if language == "en" else ADVICE_DA
    return Trend(
        threshold=threshold,
        points=ordered,
        below_threshold=below,
        falling=falling,
        advice=advice,
    )


def render_svg(trend: Trend, title: str) -> bytes:
    import pygal  # type: ignore[import-untyped]  # only when a chart is drawn

    chart = pygal.Line(height=400, width=800, legend_at_bottom=True, range=(0, 100))
    chart.title = title
    chart.x_labels = [p.on.isoformat() for p in trend.points]
    chart.add("Trivsel", [p.score for p in trend.points])
    chart.add("Grænse", [trend.threshold for _ in trend.points], show_dots=False)
    rendered: bytes = chart.render()
    return rendered
