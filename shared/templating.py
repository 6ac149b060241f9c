"""Jinja2 templates kept beside the area that owns them: pages, e-mails and SMS texts.

Each templates folder gets one cached environment: autoescape on for .html (and any
other name), off for .txt, and an undefined variable is an error, never a blank.
A message template is `<name>.<locale>.txt`; an e-mail one extends "mail.txt" and
fills the blocks `subject` and `body`, and its HTML part is the shared layout below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import (
    ChoiceLoader,
    DictLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)

LOCALES = ("da", "en")  # Danish first: the default everywhere
COPENHAGEN = ZoneInfo("Europe/Copenhagen")

_BUTTON_STYLE = (
    "display:inline-block;padding:12px 24px;background:#1d4ed8;color:#ffffff;"
    "border-radius:6px;text-decoration:none;font-weight:600"
)

# What every folder can use besides its own files (a file of the folder wins).
_SHARED = {
    "footer.txt": "{% if locale == 'da' %}"
    "Denne besked er sendt automatisk fra Trivsel. Du kan ikke svare på den."
    "{% else %}This message was sent automatically by Trivsel. Replies are not read.{% endif %}",
    "mail.txt": "{{ self.body() | trim }}\n\n{% include 'footer.txt' %}",
    # The plain-text body as HTML: paragraphs, line breaks, and the link as a link. With a
    # `button` label, the paragraph of that label and the link becomes a button, with the
    # URL in small print below it for mail clients that hide buttons.
    "mail.html": r"""<!doctype html><html lang="{{ locale }}"><meta charset="utf-8"><body>
{% for paragraph in body.split('\n\n') %}
{% if button and link and paragraph == button ~ '\n' ~ link %}
<p><a href="{{ link }}" style="{{ button_style }}">{{ button }}</a></p>
<p><small style="color:#475569;word-break:break-all">{{ link }}</small></p>
{% else %}
<p>{% for line in paragraph.split('\n') %}{% if not loop.first %}<br>{% endif %}
{% if link and line == link %}<a href="{{ link }}">{{ link }}</a>{% else %}{{ line }}{% endif %}
{% endfor %}</p>
{% endif %}
{% endfor %}
<p>{% include 'footer.txt' %}</p>
</body></html>""",
}


class UnknownTemplate(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def long_date(value: date | datetime, locale: str) -> str:
    """The day in Copenhagen as Babel's long date: "7. december 2026", "December 7, 2026".

    A naive datetime is taken as UTC, like every time the platform stores.
    """
    from babel.dates import format_date  # imported when needed: it costs cold-start time

    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = aware.astimezone(COPENHAGEN).date()
    return format_date(value, format="long", locale=locale)


def environment(folder: str | os.PathLike[str]) -> Environment:
    """The one environment of a templates folder."""
    return _environment(Path(folder).resolve())


@cache
def _environment(folder: Path) -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(folder), DictLoader(_SHARED)]),
        autoescape=select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = long_date
    return env


class _MessageTemplates:
    """The message templates of one folder; `<name>.<locale>.txt` for each locale."""

    mail = True

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.env = environment(folder)

    def template(self, name: str, locale: str) -> Template:
        try:  # Jinja refuses names that would leave the folder ("..")
            if locale not in LOCALES:
                raise TemplateNotFound(name)
            template = self.env.get_template(f"{name}.{locale}.txt")
        except TemplateNotFound:
            raise UnknownTemplate(f"no template '{name}' in locale '{locale}'") from None
        if ("subject" in template.blocks) is not self.mail:
            kind = "e-mail" if self.mail else "text"
            raise UnknownTemplate(f"'{name}' is not an {kind} template")
        return template


class MailTemplates(_MessageTemplates):
    def render(self, name: str, locale: str, params: dict[str, str]) -> Rendered:
        template = self.template(name, locale)
        values = {**params, "locale": str(locale)}
        context = template.new_context(values)
        subject = "".join(template.blocks["subject"](context)).strip()
        body = "".join(template.blocks["body"](context)).strip()
        layout = self.env.get_template("mail.html")
        page = layout.render(
            locale=values["locale"],
            body=body,
            link=params.get("link"),
            button=params.get("button"),
            button_style=_BUTTON_STYLE,
        )
        return Rendered(subject=subject, text=template.render(values), html=page)


class TextTemplates(_MessageTemplates):
    """SMS texts: text only, no subject."""

    mail = False

    def render(self, name: str, locale: str, params: dict[str, str]) -> str:
        return self.template(name, locale).render({**params, "locale": str(locale)}).strip()
