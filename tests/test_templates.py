"""Message templates: Danish by default, English available, parameters escaped (pure logic)."""

from __future__ import annotations

import pytest

from shared.messaging.models import Channel, Locale
from shared.messaging.templates import TEMPLATES, UnknownTemplate, render

PARAMS = {
    "name": "Ida",
    "tenant_name": "Esbjerg Kommune",
    "link": "https://x.dk/a?b=1&c=2",
    "summary": "Databrud",
    "exercise_title": "Mine bekymringer",
    "expires": "7. december 2026",
    "code": "123456",
}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("locale", list(Locale))
def test_every_template_renders_in_both_languages(name: str, locale: Locale) -> None:
    template = TEMPLATES[name]
    rendered = render(name, template.channel, locale, PARAMS)
    assert "$" not in rendered.text + rendered.subject
    if template.channel is Channel.EMAIL:
        assert rendered.subject
        assert f'lang="{locale}"' in rendered.html


def test_danish_and_english_differ() -> None:
    da = render("welcome", Channel.EMAIL, Locale.DA, PARAMS)
    en = render("welcome", Channel.EMAIL, Locale.EN, PARAMS)
    assert da.subject == "Velkommen til Trivsel hos Esbjerg Kommune"
    assert en.subject == "Welcome to Trivsel at Esbjerg Kommune"
    assert "https://x.dk/a?b=1&c=2" in da.text  # the plain-text part keeps the link whole


def test_parameters_are_escaped_in_html() -> None:
    evil = {**PARAMS, "name": "<script>alert(1)</script>"}
    rendered = render("welcome", Channel.EMAIL, Locale.DA, evil)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert '<a href="https://x.dk/a?b=1&amp;c=2">' in rendered.html


def test_unknown_template_or_wrong_channel_is_refused() -> None:
    with pytest.raises(UnknownTemplate):
        render("nope", Channel.EMAIL, Locale.DA, PARAMS)
    with pytest.raises(UnknownTemplate):
        render("welcome", Channel.SMS, Locale.DA, PARAMS)
