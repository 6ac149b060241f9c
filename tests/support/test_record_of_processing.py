"""The record of processing (Art. 30(2)) against the stack: built from the contract, the
sub-processor list and the code's own retention constants; JSON and a Danish page."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from functions.support.maintenance.backups.backup import RETENTION
from functions.support.sla.retention import KEPT as TICKETS_KEPT
from shared.messaging.retention import MESSAGE_RETENTION
from shared.tenants import EXPORT_PERIOD
from tests.accounts import problem
from tests.helpers import call
from tests.support.incidents_helpers import API
from tests.support.tickets_helpers import tenant_with_terms

pytestmark = pytest.mark.usefixtures("stack")


def test_the_administrator_and_the_owner_read_the_tenant_s_record_and_nobody_else_s(
    owner: str,
) -> None:
    a, b = tenant_with_terms(owner), tenant_with_terms(owner)
    reply = call("GET", f"{API}/tenant/record-of-processing", a["admin_token"])
    assert reply.status_code == 200, reply.text
    record: dict[str, Any] = reply.json()
    assert record["tenant_id"] == a["slug"]
    assert record["controller"]["name"] == "Testkommune"
    assert record["dpa_version"] == "2026.1"
    processors = {s["id"]: s for s in record["subprocessors"]}
    assert {"google-cloud", "firebase-auth", "amazon-ses", "amazon-sns"} <= set(processors)
    assert (
        "Frankfurt" in processors["amazon-ses"]["location"]
        or "eu-central-1" in (processors["amazon-ses"]["location"])
    )
    periods = {r["what"]: r["period"] for r in record["retention"]}
    assert periods["Sikkerhedskopier"] == f"{RETENTION.days} dage"
    assert periods["Sendte e-mails og SMS (modtageradresser)"] == f"{MESSAGE_RETENTION.days} dage"
    assert periods["Supportsager efter sidste kontakt"] == f"{TICKETS_KEPT.months} måneder"
    assert periods["Kundens data efter opsigelse (til eksport)"] == f"{EXPORT_PERIOD.days} dage"
    assert any("Firebase" in t for t in record["transfers"])

    as_owner = call("GET", f"{API}/tenants/{a['slug']}/record-of-processing", owner).json()
    assert as_owner["tenant_id"] == a["slug"]
    page = call("GET", f"{API}/tenant/record-of-processing/page", a["admin_token"])
    assert page.status_code == 200, page.text
    html = requests.get(page.json()["url"], timeout=10)
    assert html.status_code == 200
    assert '<html lang="da">' in html.text
    assert "Fortegnelse over behandlingsaktiviteter" in html.text

    # tenant B's administrator reads only B's own; the owner's route is the owner's
    mine = call("GET", f"{API}/tenant/record-of-processing", b["admin_token"]).json()
    assert mine["tenant_id"] == b["slug"]
    problem(
        call("GET", f"{API}/tenants/{a['slug']}/record-of-processing", b["admin_token"]),
        403,
        "forbidden",
    )
    problem(call("GET", f"{API}/tenant/record-of-processing", a["pro_token"]), 403, "forbidden")
