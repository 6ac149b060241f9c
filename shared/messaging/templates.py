"""Message templates: Danish by default, English available.

Parameters are substituted with string.Template; the HTML variant escapes them.
Links are passed in as parameters and shown as text as well as a link, so the
message still works in a client that shows only plain text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from string import Template as _Text

from shared.messaging.models import Channel, Locale


@dataclass(frozen=True)
class Template:
    name: str
    channel: Channel
    params: tuple[str, ...]
    subject: dict[Locale, str]  # e-mail only
    body: dict[Locale, str]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


_FOOTER = {
    Locale.DA: "\n\nDenne besked er sendt automatisk fra Trivsel. Du kan ikke svare på den.",
    Locale.EN: "\n\nThis message was sent automatically by Trivsel. Replies are not read.",
}

TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            name="welcome",
            channel=Channel.EMAIL,
            params=("name", "tenant_name", "link"),
            subject={
                Locale.DA: "Velkommen til Trivsel hos $tenant_name",
                Locale.EN: "Welcome to Trivsel at $tenant_name",
            },
            body={
                Locale.DA: "Hej $name\n\nDer er oprettet en bruger til dig i Trivsel hos "
                "$tenant_name.\nVælg din adgangskode via dette link (det kan kun bruges én "
                "gang):\n\n$link\n\nHar du ikke ventet denne mail, kan du se bort fra den.",
                Locale.EN: "Hello $name\n\nA Trivsel account has been created for you at "
                "$tenant_name.\nChoose your password with this link (it works once):\n\n"
                "$link\n\nIf you did not expect this e-mail, you can ignore it.",
            },
        ),
        Template(
            name="password_reset",
            channel=Channel.EMAIL,
            params=("link",),
            subject={
                Locale.DA: "Nulstil din adgangskode til Trivsel",
                Locale.EN: "Reset your Trivsel password",
            },
            body={
                Locale.DA: "Hej\n\nVi har modtaget en anmodning om at nulstille din adgangskode."
                "\nVælg en ny adgangskode via dette link:\n\n$link\n\nHar du ikke bedt om "
                "det, kan du se bort fra denne mail. Din adgangskode er uændret.",
                Locale.EN: "Hello\n\nWe received a request to reset your password.\nChoose a "
                "new password with this link:\n\n$link\n\nIf you did not ask for this, ignore "
                "this e-mail. Your password is unchanged.",
            },
        ),
        Template(
            name="remote_task",
            channel=Channel.EMAIL,
            params=("name", "tenant_name", "exercise_title", "link", "expires"),
            subject={
                Locale.DA: "En opgave fra $tenant_name: $exercise_title",
                Locale.EN: "A task from $tenant_name: $exercise_title",
            },
            body={
                Locale.DA: 'Hej $name\n\nDu har fået opgaven "$exercise_title" fra '
                "$tenant_name.\nÅbn den via dette personlige link:\n\n$link\n\nLinket virker "
                "til og med $expires og kun for denne opgave. Del det ikke med andre.",
                Locale.EN: 'Hello $name\n\nYou have been sent the task "$exercise_title" by '
                "$tenant_name.\nOpen it with this personal link:\n\n$link\n\nThe link works "
                "until $expires and only for this task. Please do not share it.",
            },
        ),
        Template(
            name="remote_task_reminder",
            channel=Channel.EMAIL,
            params=("name", "tenant_name", "exercise_title", "link", "expires"),
            subject={
                Locale.DA: "Påmindelse: $exercise_title",
                Locale.EN: "Reminder: $exercise_title",
            },
            body={
                Locale.DA: 'Hej $name\n\nVi minder om opgaven "$exercise_title" fra '
                "$tenant_name, som endnu ikke er besvaret.\n\n$link\n\nLinket virker til og "
                "med $expires.",
                Locale.EN: 'Hello $name\n\nA reminder of the task "$exercise_title" from '
                "$tenant_name, which is not answered yet.\n\n$link\n\nThe link works until "
                "$expires.",
            },
        ),
        Template(
            name="incident_alert",
            channel=Channel.SMS,
            params=("summary",),
            subject={},
            body={
                Locale.DA: "Trivsel ALARM: $summary",
                Locale.EN: "Trivsel ALERT: $summary",
            },
        ),
    )
}


class UnknownTemplate(ValueError):
    pass


def template_for(name: str, channel: Channel) -> Template:
    template = TEMPLATES.get(name)
    if template is None or template.channel is not channel:
        raise UnknownTemplate(f"no {channel} template named '{name}'")
    return template


def render(name: str, channel: Channel, locale: Locale, params: dict[str, str]) -> Rendered:
    template = template_for(name, channel)
    text = _Text(template.body[locale]).substitute(params)
    subject = _Text(template.subject.get(locale, "")).substitute(params)
    if channel is Channel.SMS:
        return Rendered(subject="", text=text, html="")
    text += _FOOTER[locale]
    escaped = {key: html.escape(value) for key, value in params.items()}
    body = _Text(html.escape(template.body[locale] + _FOOTER[locale])).substitute(escaped)
    if "link" in params:
        link = escaped["link"]
        body = body.replace(link, f'<a href="{link}">{link}</a>')
    paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in body.split("\n\n"))
    head = f'<!doctype html><html lang="{locale}"><meta charset="utf-8">'
    page = f"{head}<body>{paragraphs}</body></html>"
    return Rendered(subject=subject, text=text, html=page)
