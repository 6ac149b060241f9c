"""The public status page (`status_page`, no sign-in): the HTML page (Danish, `?lang=en`),
`/api/v2/summary.json` (the shape of Atlassian Statuspage's summary) and `/history.atom`
(one entry per update), all rendered from the one summary document: one Firestore read.

The Atom feed is a Jinja2 template rather than a feed library: feedgen needs lxml (a
native library and cold-start time) for what is twenty lines of XML here, and
tests/support/status parse the feed as XML and check it against the page and the JSON.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

import flask

from functions.support.status.notify import STATUS, moment
from functions.support.status.view import NAMES, View, build, entries, summary_json
from shared.messaging.models import Locale
from shared.templating import environment

TEMPLATES = Path(__file__).with_name("templates")
# Anyone may read it, often: shared caches keep it for 30 s (the uptime check and a
# crowd during an incident then cost one read each per 30 s).
CACHE = "public, max-age=30"
JSON_PATH, FEED_PATH = "/api/v2/summary.json", "/history.atom"

TEXTS: dict[str, dict[str, Any]] = {
    "da": {
        "title": "Driftsstatus for Trivsel",
        "other": "English",
        "other_lang": "en",
        "updated": "Opdateret",
        "components": "Komponenter",
        "uptime": "Oppetid 90 dage",
        "availability": "Tilgængelighed i supporttiden",
        "uptime_note": (
            "Oppetid tæller alle døgnets timer, tilgængelighed kun supporttiden (hverdage "
            "9-15). Varslet vedligeholdelse er trukket fra; akut vedligeholdelse tæller som "
            "nedetid."
        ),
        "open_incidents": "Aktuelle hændelser",
        "no_incidents": "Ingen aktuelle hændelser.",
        "maintenance": "Planlagt vedligeholdelse",
        "no_maintenance": "Ingen planlagt vedligeholdelse.",
        "history": "Historik (90 dage)",
        "no_history": "Ingen hændelser de seneste 90 dage.",
        "expected": "Forventet løst",
        "cause": "Årsag",
        "prevention": "Sådan undgår vi det fremover",
        "some_tenants": "Berører nogle kunder.",
        "emergency": "Akut vedligeholdelse",
        "from_to": "{start} til {end}",
        "feed": "Abonnér (Atom)",
        "json": "Som JSON",
        "impact": {"minor": "mindre", "major": "betydelig", "critical": "kritisk"},
        "maintenance_status": {
            "scheduled": "planlagt",
            "in_progress": "i gang",
            "completed": "afsluttet",
            "cancelled": "aflyst",
        },
        "states": {
            "operational": "I drift",
            "degraded_performance": "Nedsat ydelse",
            "partial_outage": "Delvist nedbrud",
            "major_outage": "Større nedbrud",
            "under_maintenance": "Under vedligeholdelse",
        },
        "descriptions": {
            "operational": "Alle systemer kører",
            "degraded_performance": "Nedsat ydelse",
            "partial_outage": "Delvist nedbrud",
            "major_outage": "Større nedbrud",
            "under_maintenance": "Vedligeholdelse i gang",
        },
    },
    "en": {
        "title": "Trivsel service status",
        "other": "Dansk",
        "other_lang": "da",
        "updated": "Updated",
        "components": "Components",
        "uptime": "Uptime 90 days",
        "availability": "Availability in support hours",
        "uptime_note": (
            "Uptime counts every hour, availability only the support hours (weekdays "
            "9-15). Announced maintenance is left out; emergency maintenance counts as "
            "downtime."
        ),
        "open_incidents": "Current incidents",
        "no_incidents": "No current incidents.",
        "maintenance": "Planned maintenance",
        "no_maintenance": "No planned maintenance.",
        "history": "History (90 days)",
        "no_history": "No incidents in the last 90 days.",
        "expected": "Expected resolution",
        "cause": "Cause",
        "prevention": "How we prevent it recurring",
        "some_tenants": "Affects some customers.",
        "emergency": "Emergency maintenance",
        "from_to": "{start} to {end}",
        "feed": "Subscribe (Atom)",
        "json": "As JSON",
        "impact": {"minor": "minor", "major": "major", "critical": "critical"},
        "maintenance_status": {
            "scheduled": "scheduled",
            "in_progress": "in progress",
            "completed": "completed",
            "cancelled": "cancelled",
        },
        "states": {
            "operational": "Operational",
            "degraded_performance": "Degraded performance",
            "partial_outage": "Partial outage",
            "major_outage": "Major outage",
            "under_maintenance": "Under maintenance",
        },
        "descriptions": {
            "operational": "All Systems Operational",
            "degraded_performance": "Degraded Performance",
            "partial_outage": "Partial System Outage",
            "major_outage": "Major System Outage",
            "under_maintenance": "Service Under Maintenance",
        },
    },
}


def locale_of(request: flask.Request) -> str:
    return Locale.EN.value if request.args.get("lang") == "en" else Locale.DA.value


def _percent(value: float | None, locale: str) -> str:
    if value is None:
        return "-"
    text = f"{value * 100:.2f} %"
    return text.replace(".", ",") if locale == "da" else text


def html(view: View, locale: str, nonce: str, base: str) -> str:
    template = environment(TEMPLATES).get_template("status.html")
    return template.render(
        locale=locale,
        nonce=nonce,
        t=TEXTS[locale],
        view=view,
        names=NAMES[locale],
        status_names=STATUS[locale],
        when=lambda value: moment(value, locale),
        percent=lambda value: _percent(value, locale),
        json_url=f"{base}{JSON_PATH.lstrip('/')}?lang={locale}",
        feed_url=f"{base}{FEED_PATH.lstrip('/')}?lang={locale}",
    )


def feed(view: View, locale: str, base: str) -> str:
    found = entries(view, locale, base, STATUS[locale])
    updated: datetime = found[0].updated if found else (view.updated_at or view.now)
    template = environment(TEMPLATES).get_template("status.atom")
    return template.render(
        locale=locale,
        t=TEXTS[locale],
        entries=found,
        updated=updated,
        base=base,
        self_url=f"{base}{FEED_PATH.lstrip('/')}?lang={locale}",
    )


def respond(request: flask.Request, summary: Any, now: datetime, base: str) -> flask.Response:
    """The page, the JSON or the feed at `now` (the state shown is right at any time)."""
    locale = locale_of(request)
    view = build(summary, now)
    path = "/" + (request.path or "/").strip("/")
    if path == JSON_PATH:
        body = summary_json(view, locale, base, TEXTS[locale]["descriptions"])
        return flask.Response(
            json.dumps(body, ensure_ascii=False),
            mimetype="application/json",
            headers={"Cache-Control": CACHE, "Access-Control-Allow-Origin": "*"},
        )
    if path == FEED_PATH:
        return flask.Response(
            feed(view, locale, base),
            mimetype="application/atom+xml",
            headers={"Cache-Control": CACHE},
        )
    if path != "/":
        return flask.Response("Not found", status=404, mimetype="text/plain")
    nonce = secrets.token_urlsafe(16)
    return flask.Response(
        html(view, locale, nonce, base),
        mimetype="text/html",
        headers={
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; frame-ancestors 'none'; "
                "base-uri 'none'; form-action 'none'"
            ),
            # The nonce is per response, so a shared cache must not keep the page longer
            # than the JSON; 30 s like the rest.
            "Cache-Control": CACHE,
            "X-Content-Type-Options": "nosniff",
        },
    )
