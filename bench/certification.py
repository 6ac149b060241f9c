"""The certification gate's cost (issue 18): a client listing by a certified professional
of a tenant whose licence requires certification, vs the bare function, in the same run as
the same listing by a user no requirement names. The gate reads nothing more (the
requirement is on the tenant document, the certification on the member record): the
round trips per request must be equal, the ratios alike."""

from __future__ import annotations

import requests

from bench.common import Catalogue, Host, Tenant, api, owner, put_item
from bench.latency import Call, Operation, measure, report

VIDEO = "bench-certification-video"
QUESTION = {"question": "Hvem ser loggen?", "options": ["Alle", "Sagens fagpersoner"], "correct": 1}


def certified_professional(tenant: Tenant, catalogue: Catalogue) -> str:
    """A professional of `tenant`, the licence changed to require certification of
    professionals, who then takes the course: their ID token."""
    from tests.accounts import activate, add_professional, licence

    put_item(
        "videos",
        VIDEO,
        {"focus_area": catalogue.area, "title": "Intro", "url": "https://v.example.dk/intro"},
    )
    requirement = {
        "roles": ["professional"],
        "videos": [VIDEO],
        "questions": [QUESTION],
        "pass_mark": 1,
    }
    body = licence(seats=3, focus_areas=[catalogue.area]) | {"certification": requirement}
    api("PUT", f"/auth_api/tenants/{tenant.tenant_id}/licence", owner(), json=body)
    token = activate(add_professional(tenant.token)["email"])
    api("POST", f"/auth_api/certification/videos/{VIDEO}/watched", token)
    result = api("POST", "/auth_api/certification/quiz", token, json={"answers": [1]})
    assert result["passed"], result
    return token


def bench_certification(tenant: Tenant, catalogue: Catalogue, host: Host, count: int) -> None:
    certified = {"Authorization": f"Bearer {certified_professional(tenant, catalogue)}"}
    unrequired = {"Authorization": f"Bearer {tenant.token}"}  # the administrator

    def listing(path: str, headers: dict[str, str]) -> Call:
        def call(s: requests.Session, base: str, n: int) -> requests.Response:
            return s.get(f"{base}{path}", params={"limit": 25}, headers=headers, timeout=60)

        return call

    rows = [
        measure(
            host,
            Operation(
                "list, certified",
                listing("/clients_api/clients", certified),
                listing("/baseline_client_list/", certified),
            ),
            count,
        ),
        measure(
            host,
            Operation(
                "list, not required",
                listing("/clients_api/clients", unrequired),
                listing("/baseline_client_list/", unrequired),
            ),
            count,
        ),
    ]
    report(f"Certification gate, {count} of each, Trivsel vs the bare function", rows)
