"""Templates: e-mails, SMS texts and the remote-task page, Danish by default (pure logic)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from functions.tasks import page
from infra.deployment import ROOT
from shared.messaging.models import Locale
from shared.templating import (
    MailTemplates,
    Rendered,
    TextTemplates,
    UnknownTemplate,
    environment,
    long_date,
)

FUNCTIONS = ROOT / "functions"
MAILS = {
    "welcome": "auth",
    "password_reset": "auth",
    "remote_task": "tasks",
    "remote_task_reminder": "tasks",
}
PARAMS = {
    "name": "Ida",
    "tenant_name": "Esbjerg Kommune",
    "link": "https://x.dk/a?b=1&c=2",
    "summary": "Databrud",
    "exercise_title": "Mine bekymringer",
    "expires": "7. december 2026",
    "who": "Per (fagperson)",
    "purpose": "Svarene hjælper fagpersonen.",
    "button": "Åbn opgaven",
    "help": "per@esbjerg.dk",
}
EVIL = "<script>alert(1)</script>"
FOOTERS = {
    Locale.DA: "Denne besked er sendt automatisk fra Trivsel. Du kan ikke svare på den.",
    Locale.EN: "This message was sent automatically by Trivsel. Replies are not read.",
}


def mail(name: str) -> MailTemplates:
    return MailTemplates(FUNCTIONS / MAILS[name] / "templates")


def sms() -> TextTemplates:
    return TextTemplates(FUNCTIONS / "support" / "templates")


@pytest.mark.parametrize("name", sorted(MAILS))
@pytest.mark.parametrize("locale", list(Locale))
def test_every_mail_template_renders_in_both_languages_with_a_subject(
    name: str, locale: Locale
) -> None:
    rendered = mail(name).render(name, locale, PARAMS)
    assert isinstance(rendered, Rendered)
    assert rendered.subject
    assert "\n" not in rendered.subject
    for part in (rendered.subject, rendered.text, rendered.html):
        assert "{{" not in part
        assert "{%" not in part
    assert f'<html lang="{locale}">' in rendered.html
    footer = FOOTERS[locale]
    assert rendered.text.endswith(f"\n\n{footer}")
    assert f"<p>{footer}</p>" in rendered.html
    assert PARAMS["link"] in rendered.text
    assert '<a href="https://x.dk/a?b=1&amp;c=2"' in rendered.html  # a link, or the button


@pytest.mark.parametrize("locale", list(Locale))
def test_the_sms_template_renders_text_only_in_both_languages(locale: Locale) -> None:
    text = sms().render("incident_alert", locale, PARAMS)
    assert (
        text == {Locale.DA: "Trivsel ALARM: Databrud", Locale.EN: "Trivsel ALERT: Databrud"}[locale]
    )


def test_danish_and_english_differ() -> None:
    da = mail("welcome").render("welcome", Locale.DA, PARAMS)
    en = mail("welcome").render("welcome", Locale.EN, PARAMS)
    assert da.subject == "Velkommen til Trivsel hos Esbjerg Kommune"
    assert en.subject == "Welcome to Trivsel at Esbjerg Kommune"
    assert da.text != en.text
    assert "https://x.dk/a?b=1&c=2" in da.text  # the plain-text part keeps the link whole


def test_the_plain_text_names_who_asks_and_why_with_the_button_label_and_link() -> None:
    rendered = mail("remote_task").render("remote_task", Locale.DA, PARAMS)
    assert rendered.subject == "En opgave fra Per (fagperson) i Esbjerg Kommune: Mine bekymringer"
    assert rendered.text == (
        "Hej Ida\n\nPer (fagperson) fra Esbjerg Kommune har sendt dig opgaven "
        '"Mine bekymringer".\nSvarene hjælper fagpersonen.\n\n'
        "Åbn opgaven\nhttps://x.dk/a?b=1&c=2\n\n"
        "Linket er personligt og virker til og med 7. december 2026. Del det ikke med andre.\n\n"
        "Har du spørgsmål, så skriv til per@esbjerg.dk.\n\n"
        "Denne besked er sendt automatisk fra Trivsel. Du kan ikke svare på den."
    )
    # The HTML part: the label and link as a button, the URL in small print below it.
    assert re.search(
        r'<a href="https://x.dk/a\?b=1&amp;c=2" style="[^"]+">Åbn opgaven</a></p>\n'
        r"<p><small [^>]*>https://x.dk/a\?b=1&amp;c=2</small>",
        rendered.html,
    )
    assert "<br>Åbn opgaven" not in rendered.html


def test_parameters_are_escaped_in_html_and_the_link_is_a_link() -> None:
    evil = {**PARAMS, "name": EVIL, "tenant_name": 'A & "B"'}
    rendered = mail("welcome").render("welcome", Locale.DA, evil)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert "A &amp; &#34;B&#34;" in rendered.html
    assert '<a href="https://x.dk/a?b=1&amp;c=2">https://x.dk/a?b=1&amp;c=2</a>' in rendered.html
    assert EVIL in rendered.text  # the plain-text part is not HTML: nothing to escape
    assert "<p>Hej &lt;script&gt;alert(1)&lt;/script&gt;</p>" in rendered.html


def test_an_unknown_template_language_or_channel_is_refused() -> None:
    with pytest.raises(UnknownTemplate):
        mail("welcome").render("nope", Locale.DA, PARAMS)
    with pytest.raises(UnknownTemplate):
        mail("welcome").render("welcome", "de", PARAMS)
    with pytest.raises(UnknownTemplate):
        mail("welcome").render("../auth/templates/welcome", Locale.DA, PARAMS)
    with pytest.raises(UnknownTemplate):
        mail("welcome").render("mail", Locale.DA, PARAMS)  # the layout is no mail of its own
    with pytest.raises(UnknownTemplate):
        MailTemplates(FUNCTIONS / "support" / "templates").render("incident_alert", "da", PARAMS)
    with pytest.raises(UnknownTemplate):
        TextTemplates(FUNCTIONS / "auth" / "templates").render("welcome", Locale.DA, PARAMS)


def test_a_template_may_use_its_locale_without_the_caller_giving_it(tmp_path: Path) -> None:
    for locale in Locale:
        (tmp_path / f"note.{locale}.txt").write_text(
            '{% extends "mail.txt" %}\n{% block subject %}Hej {{ name }}{% endblock %}\n'
            "{% block body %}Sprog: {{ locale }}{% endblock %}\n"
        )
    templates = MailTemplates(tmp_path)
    rendered = templates.render("note", Locale.EN, {"name": "Ida"})
    assert rendered.text == f"Sprog: en\n\n{FOOTERS[Locale.EN]}"


def test_a_missing_parameter_fails_instead_of_rendering_blank() -> None:
    with pytest.raises(UndefinedError):
        mail("welcome").render("welcome", Locale.DA, {"name": "Ida", "link": "https://x.dk"})


def test_each_templates_folder_has_one_environment_escaping_html_but_not_text() -> None:
    folder = FUNCTIONS / "tasks" / "templates"
    env = environment(folder)
    assert environment(str(folder)) is env
    assert environment(FUNCTIONS / "auth" / "templates") is not env
    assert env.autoescape("page.html") is True  # type: ignore[operator]
    assert env.autoescape("mail.txt") is False  # type: ignore[operator]


def test_long_date_is_babel_s_long_date_of_the_day_in_copenhagen() -> None:
    assert long_date(date(2026, 12, 7), "da") == "7. december 2026"
    assert long_date(date(2026, 12, 7), "en") == "December 7, 2026"
    late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # already the 7th in Copenhagen
    assert long_date(late, Locale.DA) == "7. december 2026"
    assert long_date(late, Locale.EN) == "December 7, 2026"
    template = environment(FUNCTIONS / "tasks" / "templates").from_string(
        "{{ day | long_date(locale) }}"
    )
    assert template.render(day=late, locale="da") == "7. december 2026"


# The remote-task page.

REFLECTION: dict[str, Any] = {
    "title": "Mine bekymringer",
    "instructions": "Skriv med dine egne ord.",
    "content": {
        "kind": "reflection",
        "fields": [
            {"id": "hvad", "label": "Hvad fylder mest?"},
            {"id": "hjaelp", "label": "Hvad hjælper?"},
        ],
    },
}
MEMORY: dict[str, Any] = {
    "title": "Vendespil",
    "content": {
        "kind": "memory_game",
        "pairs": [{"front": "Glad", "back": "Smil"}, {"front": "</script><!--", "back": "Ø & <b>"}],
    },
}


def deck_of(body: str) -> str:
    found = re.search(r'<script type="application/json" id="deck">(.*?)</script>', body, re.S)
    assert found
    return found.group(1)


def test_the_page_escapes_exercise_titles_labels_and_instructions() -> None:
    exercise = {
        "title": EVIL,
        "instructions": EVIL,
        "content": {"kind": "reflection", "fields": [{"id": "x", "label": EVIL}]},
    }
    body = page.exercise_page(exercise, Locale.DA, "n0nce")
    assert "<script" not in body
    assert f"<title>{'&lt;script&gt;alert(1)&lt;/script&gt;'}</title>" in body
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in body
    assert '<p class="instructions">&lt;script&gt;alert(1)&lt;/script&gt;</p>' in body
    assert '<label for="a_x">&lt;script&gt;alert(1)&lt;/script&gt;</label>' in body


def test_every_field_has_a_label_and_problems_are_announced_with_what_was_typed_kept() -> None:
    problems = [{"field": "answers.hjaelp", "message": "missing"}]
    typed = {"a_hvad": "Fremlæggelser</textarea><b>"}
    body = page.exercise_page(REFLECTION, Locale.DA, "n0nce", problems, typed)
    assert '<html lang="da">' in body
    assert "<h1>Mine bekymringer</h1>" in body
    assert '<p class="instructions">Skriv med dine egne ord.</p>' in body
    for field in ("hvad", "hjaelp"):
        assert f'<label for="a_{field}">' in body
        assert re.search(f'<textarea id="a_{field}" name="a_{field}" [^>]*required', body)
    assert re.search(r'<textarea id="a_hjaelp"[^>]* aria-invalid="true">', body)
    assert not re.search(r'<textarea id="a_hvad"[^>]* aria-invalid', body)
    assert '<div class="error" role="alert">' in body
    assert "Svaret kunne ikke gemmes" in body
    assert "<li>Hvad hjælper?: Skal udfyldes</li>" in body
    assert ">Fremlæggelser&lt;/textarea&gt;&lt;b&gt;</textarea>" in body
    assert '<button type="submit" id="submit">Send svar</button>' in body
    english = page.exercise_page(REFLECTION, Locale.EN, "n0nce", problems)
    assert '<html lang="en">' in english
    assert "<li>Hvad hjælper?: Must be filled in</li>" in english


def test_the_deck_json_holds_no_less_than_sign_and_every_card() -> None:
    body = page.exercise_page(MEMORY, Locale.DA, "n0nce")
    deck = deck_of(body)
    assert "<" not in deck
    cards = sorted((card["pair"], card["text"]) for card in json.loads(deck))
    assert cards == [(0, "Glad"), (0, "Smil"), (1, "</script><!--"), (1, "Ø & <b>")]


def test_the_memory_game_can_be_sent_only_after_playing_and_says_it_needs_javascript() -> None:
    body = page.exercise_page(MEMORY, Locale.DA, "n0nce")
    assert '<button type="submit" id="submit" disabled>Send svar</button>' in body
    assert '<div id="grid" class="grid" role="group" aria-label="' in body
    assert '<span id="moves">0</span>' in body
    assert '<span id="found">0</span> af 2' in body
    assert re.search(r'<p id="status" class="status" role="status" aria-live="polite"', body)
    assert re.search(r'<p id="status" [^>]*data-card="Kort"', body)
    # One instruction: the generic one, as this game has none of its own.
    assert body.count("Vend to kort ad gangen") == 1
    for hidden in ("matched_pairs", "moves_field", "seconds"):
        assert f'id="{hidden}" value="0">' in body
    assert '<noscript><p class="error">Vendespillet kræver JavaScript.' in body
    assert '<script nonce="n0nce">\n(function(){' in body
    assert "getElementById('deck')" in body
    english = page.exercise_page(MEMORY, Locale.EN, "n0nce")
    assert 'data-card="Card"' in english
    assert "The memory game needs JavaScript" in english


def test_a_film_shows_the_video_and_a_labelled_checkbox_that_stays_ticked() -> None:
    film = {
        "title": "Film",
        "content": {"kind": "film_reflection", "video_url": 'https://v.dk/f?a=1&b="2"'},
    }
    body = page.exercise_page(film, Locale.DA, "n0nce", [], {"watched": "1"})
    assert 'src="https://v.dk/f?a=1&amp;b=&#34;2&#34;" aria-label="Film"></video>' in body
    assert re.search(
        r'<label class="check"><input type="checkbox" name="watched" value="1" checked>\s*Jeg', body
    )
    assert " checked" not in page.exercise_page(film, Locale.DA, "n0nce")


def test_inline_style_and_script_carry_the_nonce_and_nothing_loads_from_elsewhere() -> None:
    nonce = page.new_nonce()
    assert nonce != page.new_nonce()
    body = page.exercise_page(MEMORY, Locale.DA, nonce)
    assert f'<style nonce="{nonce}">' in body
    assert len(re.findall(r"<script(?! type=\"application/json\")[^>]*>", body)) == 1
    assert f'<script nonce="{nonce}">' in body
    assert not re.search(r'(?:src|href)="(?:https?:)?//', body)
    assert "<link" not in body
    headers = page.headers(nonce)
    policy = headers["Content-Security-Policy"]
    assert f"style-src 'nonce-{nonce}'" in policy
    assert f"script-src 'nonce-{nonce}'" in policy
    assert headers["Referrer-Policy"] == "no-referrer"


REFUSALS = {
    "tampered": (400, "Linket er ikke gyldigt.", "The link is not valid."),
    "expired": (410, "Linket er udløbet.", "The link has expired."),
    "answered": (409, "Opgaven er allerede besvaret.", "This task is already answered."),
    "cancelled": (410, "Opgaven er trukket tilbage", "The sender has withdrawn this task."),
    "replaced": (410, "Der er sendt et nyere link", "A newer link has been sent"),
    "gone": (404, "Opgaven findes ikke længere.", "This task no longer exists."),
    "rate_limited": (429, "Linket er åbnet for mange gange", "The link was opened too often"),
    "too_large": (413, "Svaret er for langt", "The answer is too long"),
    "unavailable": (403, "Opgaven kan ikke åbnes lige nu.", "The task cannot be opened now."),
    "failed": (500, "Noget gik galt hos os.", "Something went wrong on our side."),
    "busy": (503, "Vi kan ikke nå opgaven lige nu.", "The task cannot be reached just now."),
}


@pytest.mark.parametrize("reason", sorted(REFUSALS))
def test_each_refusal_has_its_status_and_a_danish_text_and_an_english_one_with_locale_en(
    reason: str,
) -> None:
    status, danish, english = REFUSALS[reason]
    body, code = page.refusal(reason, Locale.DA, "n0nce")
    assert code == status
    assert '<html lang="da">' in body
    assert "<h1>Opgaven kan ikke åbnes</h1>" in body
    assert re.search(f'<p role="alert" id="reason">{re.escape(danish)}', body)
    body, code = page.refusal(reason, Locale.EN, "n0nce")
    assert code == status
    assert '<html lang="en">' in body
    assert "<h1>The task cannot be opened</h1>" in body
    assert re.search(f'<p role="alert" id="reason">{re.escape(english)}', body)


def test_every_refusal_the_page_knows_is_tested() -> None:
    assert set(page.STATUS) == set(REFUSALS)


def test_the_thanks_page_says_thank_you_in_the_task_s_language() -> None:
    danish = page.thanks(Locale.DA, "n0nce")
    assert "<title>Tak for dit svar</title>" in danish
    assert '<p role="status">Dit svar er sendt. Du kan nu lukke siden.</p>' in danish
    assert "<h1>Thank you for your answer</h1>" in page.thanks(Locale.EN, "n0nce")


def test_the_posted_form_becomes_the_answers_of_the_exercise_kind() -> None:
    form = {"a_hvad": "x", "watched": "1", "other": "y"}
    assert page.answers_from_form("reflection", form) == {"answers": {"hvad": "x"}}
    assert page.answers_from_form("film_reflection", form) == {
        "answers": {"hvad": "x"},
        "watched": True,
    }
    game = {"matched_pairs": "2", "moves": "3", "seconds": "20"}
    assert page.answers_from_form("memory_game", game) == game
