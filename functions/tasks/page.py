"""The web page behind a remote-task link: the exercise, and the pages that say why not.

Plain HTML with inline CSS and script under a per-response CSP nonce: no CDN, no
external font, nothing loaded from anywhere else, so it works on a school iPad as on
any current browser. Every control has a label and works from the keyboard. The
markup is in templates/ (base.html, exercise.html, refusal.html, thanks.html, with
page.css and memory.js inlined); the words are TEXTS, Danish by default.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.tasks.presenting import Asker, Notice
from shared.messaging.models import Locale
from shared.templating import environment

TEMPLATES = Path(__file__).parent / "templates"

TEXTS: dict[Locale, dict[str, str]] = {
    Locale.DA: {
        "title": "Opgave fra Trivsel",
        "submit": "Send svar",
        "memory_intro": "Vend to kort ad gangen. Find alle par, og send så dit svar.",
        "memory_done": "Flot! Du fandt alle par. Tryk på \u201cSend svar\u201d.",
        "moves": "Træk",
        "watched": "Jeg har set filmen",
        "thanks_title": "Tak for dit svar",
        "thanks": "Dit svar er sendt. Du kan nu lukke siden.",
        "invalid": "Svaret kunne ikke gemmes. Se efter felterne herunder og prøv igen.",
        "tampered": "Linket er ikke gyldigt. Tjek, at du har kopieret hele linket fra e-mailen.",
        "expired": "Linket er udløbet. Kontakt den fagperson, der sendte opgaven, for et nyt.",
        "answered": "Opgaven er allerede besvaret. Tak! Dit svar er gemt, og intet er ændret.",
        "cancelled": "Opgaven er trukket tilbage af afsenderen. Der er ikke noget at besvare.",
        "replaced": "Der er sendt et nyere link til denne opgave. Brug linket i den nyeste e-mail.",
        "gone": "Opgaven findes ikke længere.",
        "rate_limited": "Linket er åbnet for mange gange på kort tid. Prøv igen om en time.",
        "error_title": "Opgaven kan ikke åbnes",
        "unavailable": "Opgaven kan ikke åbnes lige nu. Kontakt den fagperson, der sendte den.",
        "failed": "Noget gik galt hos os. Dit svar er ikke gemt. Prøv igen om lidt.",
        "busy": "Vi kan ikke nå opgaven lige nu. Et svar er ikke gemt. Prøv igen om lidt.",
        "too_large": "Svaret er for langt til at blive gemt. Gør det kortere, og prøv igen.",
        "card": "Kort",
        "matched": "Par fundet",
        "no_match": "Ikke et par",
        "noscript": "Vendespillet kræver JavaScript. Slå det til i browseren, og åbn linket igen.",
        "missing": "Skal udfyldes",
        "field_problem": "Er ikke gyldigt",
        "sent_by": "Sendt af",
        "pairs_found": "Par fundet",
        "of": "af",
        "help": "Spørgsmål til opgaven? Skriv til",
        "privacy_title": "Om dit svar",
        "controller": "Dataansvarlig",
        "why": "Hvorfor vi beder om svaret",
        "readers": "Hvem læser svaret",
        "kept": "Hvor længe svaret gemmes",
        "policy": "Læs hele privatlivspolitikken",
        "withdraw": "Vil du have dit svar slettet, eller har du spørgsmål om dine oplysninger, "
        "så skriv til",
        "sent_title": "Det har du sendt",
        "yes": "Ja",
        "seconds": "Tid (sekunder)",
        "next": "Har du brug for et nyt link, så spørg den fagperson, der sendte opgaven.",
        "next_known": "Har du brug for et nyt link, så spørg {who} i {organisation}.",
        "next_org": "Har du brug for et nyt link, så kontakt {organisation}.",
        "write_to": "Du kan skrive til",
    },
    Locale.EN: {
        "title": "Task from Trivsel",
        "submit": "Send answer",
        "memory_intro": "Turn two cards at a time. Find every pair, then send your answer.",
        "memory_done": "Well done! You found every pair. Press \u201cSend answer\u201d.",
        "moves": "Moves",
        "watched": "I have watched the film",
        "thanks_title": "Thank you for your answer",
        "thanks": "Your answer has been sent. You can close this page.",
        "invalid": "The answer could not be saved. Check the fields below and try again.",
        "tampered": "The link is not valid. Check that you copied the whole link from the e-mail.",
        "expired": "The link has expired. Ask the professional who sent the task for a new one.",
        "answered": "This task is already answered. Thank you! Your answer is saved and unchanged.",
        "cancelled": "The sender has withdrawn this task. There is nothing to answer.",
        "replaced": "A newer link has been sent for this task. Use the link in the latest e-mail.",
        "gone": "This task no longer exists.",
        "rate_limited": "The link was opened too often in a short while. Try again in an hour.",
        "error_title": "The task cannot be opened",
        "unavailable": "The task cannot be opened now. Contact the professional who sent it.",
        "failed": "Something went wrong on our side. Your answer is not saved. Try again soon.",
        "busy": "The task cannot be reached just now. No answer is saved. Try again shortly.",
        "too_large": "The answer is too long to be saved. Make it shorter and try again.",
        "card": "Card",
        "matched": "Pair found",
        "no_match": "Not a pair",
        "noscript": "The memory game needs JavaScript. Turn it on and open the link again.",
        "missing": "Must be filled in",
        "field_problem": "Is not valid",
        "sent_by": "Sent by",
        "pairs_found": "Pairs found",
        "of": "of",
        "help": "Questions about the task? Write to",
        "privacy_title": "About your answer",
        "controller": "Data controller",
        "why": "Why we ask for your answer",
        "readers": "Who reads your answer",
        "kept": "How long your answer is kept",
        "policy": "Read the full privacy policy",
        "withdraw": "To have your answer deleted, or with questions about your data, write to",
        "sent_title": "What you sent",
        "yes": "Yes",
        "seconds": "Time (seconds)",
        "next": "If you need a new link, ask the professional who sent you the task.",
        "next_known": "If you need a new link, ask {who} at {organisation}.",
        "next_org": "If you need a new link, contact {organisation}.",
        "write_to": "You can write to",
    },
}
STATUS = {
    "unavailable": 403,
    "failed": 500,
    "busy": 503,  # a service stayed unavailable through its retries (shared/retrying.py)
    "tampered": 400,
    "expired": 410,
    "answered": 409,
    "cancelled": 410,
    "replaced": 410,
    "gone": 404,
    "rate_limited": 429,
    "too_large": 413,
}
# An answer is at most a few text fields of 5,000 characters: anything larger is refused
# before the form is parsed.
MAX_ANSWER_BYTES = 200_000


def headers(nonce: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
            "media-src https:; img-src data:; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'none'"
        ),
        "Referrer-Policy": "no-referrer",  # the link is the key: never pass it on
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Shown:
    """One line of the confirmation: a field's label and what was sent."""

    label: str
    answer: str


@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    value: str
    invalid: bool


def _render(
    template: str, locale: Locale, nonce: str, asker: Asker | None = None, **values: Any
) -> str:
    page = environment(TEMPLATES).get_template(template)
    return page.render(locale=locale, nonce=nonce, t=TEXTS[locale], asker=asker, **values)


def next_step(locale: Locale, asker: Asker | None) -> str:
    """What to do about a link that does not open: whom to ask for a new one."""
    texts = TEXTS[locale]
    if asker is None:
        return texts["next"]
    if asker.who:
        return texts["next_known"].format(who=asker.who, organisation=asker.organisation)
    return texts["next_org"].format(organisation=asker.organisation)


def refusal(reason: str, locale: Locale, nonce: str, asker: Asker | None = None) -> tuple[str, int]:
    status = STATUS[reason]  # an unknown reason is a KeyError, as it always was
    # Only a link that could belong to a task gets told to ask for a new one.
    advice = next_step(locale, asker) if reason in ADVISED else ""
    return _render("refusal.html", locale, nonce, asker, reason=reason, advice=advice), status


# The refusals of a link that was (or may have been) the contact person's own.
ADVISED = frozenset({"tampered", "expired", "answered", "cancelled", "replaced", "gone"})


def sent_summary(exercise: dict[str, Any], answer: dict[str, Any], locale: Locale) -> list[Shown]:
    """What was saved, as the confirmation shows it: each field's label and answer."""
    texts, content = TEXTS[locale], exercise["content"]
    if content["kind"] == "memory_game":
        pairs = f"{answer.get('matched_pairs', 0)} {texts['of']} {len(content['pairs'])}"
        return [
            Shown(texts["pairs_found"], pairs),
            Shown(texts["moves"], str(answer.get("moves", 0))),
            Shown(texts["seconds"], str(answer.get("seconds", 0))),
        ]
    given = answer.get("answers", {})
    shown = [Shown(f["label"], str(given.get(f["id"], ""))) for f in content.get("fields", [])]
    if content["kind"] == "film_reflection" and answer.get("watched"):
        shown.insert(0, Shown(texts["watched"], texts["yes"]))
    return shown


def thanks(
    locale: Locale, nonce: str, sent: list[Shown] | None = None, asker: Asker | None = None
) -> str:
    return _render("thanks.html", locale, nonce, asker, sent=sent or [])


def exercise_page(
    exercise: dict[str, Any],
    locale: Locale,
    nonce: str,
    problems: list[dict[str, Any]] | None = None,
    values: dict[str, str] | None = None,
    *,
    asker: Asker | None = None,
    notice: Notice | None = None,
) -> str:
    content = exercise["content"]
    kind = content["kind"]
    values = values or {}
    fields = content.get("fields", [])
    labels = {f"answers.{f['id']}": f["label"] for f in fields}
    invalid = {str(p.get("field")) for p in problems or []}
    deck = []
    if kind == "memory_game":
        deck = [
            {"pair": n, "text": text}
            for n, pair in enumerate(content["pairs"])
            for text in (pair["front"], pair["back"])
        ]
        random.shuffle(deck)
    return _render(
        "exercise.html",
        locale,
        nonce,
        asker,
        notice=notice,
        kind=kind,
        title=exercise["title"],
        purpose=exercise.get("purpose") or "",
        # Each instruction once: the exercise's own, else (the memory game) the generic one.
        instructions=exercise.get("instructions")
        or (TEXTS[locale]["memory_intro"] if kind == "memory_game" else ""),
        # Each problem as (the field's label, whether it is missing).
        problems=[
            (labels.get(str(p.get("field")), str(p.get("field"))), p.get("message") == "missing")
            for p in problems or []
        ],
        deck=deck,
        pairs=len(content.get("pairs", [])),
        video_url=content.get("video_url", ""),
        watched=bool(values.get("watched")),
        fields=[
            _Field(
                name=f"a_{f['id']}",
                label=f["label"],
                value=values.get(f"a_{f['id']}", ""),
                invalid=f"answers.{f['id']}" in invalid,
            )
            for f in fields
        ],
    )


def answers_from_form(kind: str, form: dict[str, str]) -> dict[str, Any]:
    """The posted form as the answers the exercise kind expects (validated afterwards)."""
    if kind == "memory_game":
        return {key: form.get(key, "") for key in ("matched_pairs", "moves", "seconds")}
    answers: dict[str, Any] = {"answers": {k[2:]: v for k, v in form.items() if k.startswith("a_")}}
    if kind == "film_reflection":
        answers["watched"] = form.get("watched") == "1"
    return answers
