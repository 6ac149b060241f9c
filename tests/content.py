"""What many tests need in a tenant: a small catalogue of their own and a client."""

from __future__ import annotations

import json
from typing import Any

from shared.storage import uploads_bucket
from tests.helpers import call, unique

API = "/clients_api"


def make_catalogue(owner: str) -> dict[str, str]:
    """A small catalogue of our own: a licensed area, and one the tenant does not buy."""
    ids = {
        "area": unique("angst"),
        "other": unique("sorg"),
        "memory": unique("vendespil"),
        "reflection": unique("refleksion"),
        "course": unique("forloeb"),
        "foreign": unique("fremmed"),
        "document": unique("skabelon"),
    }

    def put(kind: str, item_id: str, body: dict[str, Any]) -> None:
        reply = call("PUT", f"{API}/catalogue/{kind}/{item_id}", owner, json=body)
        assert reply.status_code == 200, reply.text

    put("focus-areas", ids["area"], {"name": "Angst", "description": "Bekymringer"})
    put("focus-areas", ids["other"], {"name": "Sorg"})
    put(
        "exercises",
        ids["memory"],
        {
            "focus_area": ids["area"],
            "title": "Vendespil",
            "content": {
                "kind": "memory_game",
                "pairs": [
                    {"front": "Glad", "back": "Ny ven"},
                    {"front": "Bange", "back": "Fremlæggelse"},
                ],
            },
        },
    )
    put(
        "exercises",
        ids["reflection"],
        {
            "focus_area": ids["area"],
            "title": "Mine bekymringer",
            "content": {
                "kind": "reflection",
                "fields": [
                    {"id": "hvad", "label": "Hvad?"},
                    {"id": "hjaelp", "label": "Hvad hjælper?"},
                ],
            },
        },
    )
    put(
        "exercises",
        ids["foreign"],
        {
            "focus_area": ids["other"],
            "title": "Erindringer",
            "content": {"kind": "reflection", "fields": [{"id": "e", "label": "E"}]},
        },
    )
    put(
        "courses",
        ids["course"],
        {
            "focus_area": ids["area"],
            "title": "Modet vokser",
            "modules": [
                {"id": "m1", "title": "Forstå", "exercise_ids": [ids["reflection"], ids["memory"]]}
            ],
        },
    )
    object_name = f"catalogue/documents/{ids['document']}.txt"
    uploads_bucket().blob(object_name).upload_from_string(
        b"Samtaleguide", content_type="text/plain"
    )
    put(
        "documents",
        ids["document"],
        {
            "focus_area": ids["area"],
            "title": "Samtaleguide",
            "purpose": "Forældresamtalen",
            "object": object_name,
            "content_type": "text/plain",
        },
    )
    return ids


CLIENT: dict[str, Any] = {
    "profile": {
        "name": "Ida Jensen",
        "birth_date": "2014-03-02",
        "gender": "female",
        "institution": "Skovlyskolen 4.b",
        "notes": "Bekymrer sig om fremlæggelser",
    },
    "contacts": [
        {
            "name": "Mette Jensen",
            "relation": "mor",
            "email": "mette@example.dk",
            "phone": "+4522334455",
        }
    ],
    "consent": {
        "given_by": "Mette Jensen",
        "given_at": "2026-11-01",
        "scope": "Forløb om angst; kontakt via e-mail",
    },
}


def new_client(token: str, name: str = "Ida Jensen", **details: str) -> dict[str, Any]:
    """A client like CLIENT; `institution`, `email` and `phone` may be made unique."""
    body = json.loads(json.dumps(CLIENT))
    body["profile"]["name"] = name
    body["profile"]["institution"] = details.get("institution", "Skovlyskolen 4.b")
    body["contacts"][0]["email"] = details.get("email", "mette@example.dk")
    body["contacts"][0]["phone"] = details.get("phone", "+4522334455")
    reply = call("POST", f"{API}/clients", token, json=body)
    assert reply.status_code == 201, reply.text
    created: dict[str, Any] = reply.json()
    return created
