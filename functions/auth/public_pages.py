"""The public page of the supplier's sub-processors (SPEC K-4): the same list as
`GET /subprocessors` on auth_api, as plain HTML in Danish (`?lang=en`: English), with
inline CSS under a per-response nonce and nothing loaded from elsewhere."""

from __future__ import annotations

import secrets
from pathlib import Path

from functions.auth.subprocessor_models import SubprocessorList
from shared.messaging.models import Locale
from shared.templating import environment

TEMPLATES = Path(__file__).with_name("templates")

TEXTS: dict[Locale, dict[str, str]] = {
    Locale.DA: {
        "title": "Underdatabehandlere i Trivsel",
        "intro": (
            "Trivsel er databehandler for kommuner og skoler. Disse underdatabehandlere "
            "behandler personoplysninger på vores vegne. En planlagt ændring varsles "
            "skriftligt til hver kundes kontaktpersoner for databehandleraftalen mindst "
            "{days} dage før, og kunden kan gøre indsigelse inden."
        ),
        "as_of": "Opdateret",
        "name": "Underdatabehandler",
        "service": "Tjeneste",
        "activity": "Behandling",
        "location": "Lokation",
        "transfer_basis": "Overførselsgrundlag",
        "status": "Status",
        "in_use": "I brug",
        "planned": "Planlagt fra {date}",
        "leaving": "I brug til {date}",
        "planned_title": "Varslede ændringer",
        "no_changes": "Ingen ændringer er varslet.",
        "add": "Ny underdatabehandler: {new}, fra {date}.",
        "replace": "{new} erstatter {old} fra {date}.",
        "remove": "{old} ophører {date}.",
        "json": "Listen som JSON",
        "other": "English",
        "other_lang": "en",
    },
    Locale.EN: {
        "title": "Sub-processors of Trivsel",
        "intro": (
            "Trivsel processes personal data for municipalities and schools. These "
            "sub-processors process personal data on our behalf. A planned change is "
            "announced in writing to each customer's DPA contacts at least {days} days "
            "ahead, and the customer may object before it takes effect."
        ),
        "as_of": "Updated",
        "name": "Sub-processor",
        "service": "Service",
        "activity": "Processing",
        "location": "Location",
        "transfer_basis": "Transfer basis",
        "status": "Status",
        "in_use": "In use",
        "planned": "Planned from {date}",
        "leaving": "In use until {date}",
        "planned_title": "Announced changes",
        "no_changes": "No change is announced.",
        "add": "New sub-processor: {new}, from {date}.",
        "replace": "{new} replaces {old} from {date}.",
        "remove": "{old} ends on {date}.",
        "json": "The list as JSON",
        "other": "Dansk",
        "other_lang": "da",
    },
}


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def headers(nonce: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src 'nonce-{nonce}'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'none'"
        ),
        "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }


def render(listing: SubprocessorList, locale: Locale, nonce: str, json_url: str) -> str:
    names = {s.id: s.name for s in listing.subprocessors}
    page = environment(TEMPLATES).get_template("subprocessors.html")
    return page.render(
        locale=str(locale),
        nonce=nonce,
        t=TEXTS[locale],
        listing=listing,
        names=names,
        json_url=json_url,
    )
