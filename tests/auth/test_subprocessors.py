"""Sub-processors (SPEC K-4) through the stack: the public list and page, approvals at
the DPA, the gate at request and at delivery (checked at moto's SNS and SES), announced
changes and their e-mails, objections, and the owner's report of legacy tenants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from infra.deployment import ROOT
from shared.gcp import firestore_client
from shared.messaging import outbox
from shared.messaging.models import (
    MESSAGES,
    Channel,
    Locale,
    MessageRecord,
    MessageRequest,
    MessageState,
)
from shared.messaging.outbox import publish
from shared.subprocessors import AMAZON_SES, AMAZON_SNS, SEED
from shared.templating import TextTemplates
from shared.tenancy import TenantData
from tests.accounts import (
    API,
    DPA,
    activate,
    events,
    problem,
    provision,
)
from tests.content import new_client
from tests.helpers import (
    call,
    emails_to,
    sms_to,
    token_payload,
    unique,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("stack")
ALERTS = TextTemplates(ROOT / "functions" / "support" / "templates")
SEED_IDS = {s.id for s in SEED}
OPTIONAL = sorted(s.id for s in SEED if not s.required)
REQUIRED = sorted(s.id for s in SEED if s.required)


def number() -> str:
    return "+4530" + unique("n")[-6:].translate(str.maketrans("abcdef", "123456"))


def signed(owner: str, annex: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
    """A tenant whose DPA names `annex` (default: the DPA's default, the whole list)."""
    created = provision(owner, dpa=False, **kwargs)
    body = DPA if annex is None else {**DPA, "subprocessors": annex}
    reply = call("POST", f"{API}/tenants/{created['slug']}/dpa", owner, json=body)
    assert reply.status_code == 200, reply.text
    return {**created, "dpa": reply.json()["contract"]["dpa"]}


def message(slug: str, message_id: str) -> MessageRecord | None:
    snapshot = TenantData(firestore_client(), slug).document(MESSAGES, message_id).get()
    return MessageRecord.model_validate(snapshot.to_dict()) if snapshot.exists else None


def alert(slug: str, to: str, **kwargs: Any) -> str:
    text = ALERTS.render("incident_alert", Locale.DA, {"summary": "Databrud mistænkt"})
    request = outbox.sms(
        TenantData(firestore_client(), slug),
        message_id=unique("sms"),
        to=to,
        kind="incident_alert",
        text=text,
        **kwargs,
    )
    return request.id


def approval_of(view: dict[str, Any], subprocessor: str) -> dict[str, Any]:
    [found] = [s for s in view["subprocessors"] if s["subprocessor"]["id"] == subprocessor]
    return dict(found)


def test_the_list_is_public_as_json_and_as_a_danish_page() -> None:
    reply = call("GET", f"{API}/subprocessors")
    assert reply.status_code == 200, reply.text
    listing = reply.json()
    entries = {s["id"]: s for s in listing["subprocessors"]}
    assert set(entries) >= SEED_IDS
    sns = entries[AMAZON_SNS]
    assert sns["location"].startswith("EU: Frankfurt")
    assert "eu-central-1" in sns["location"]
    assert "USA" in entries["firebase-auth"]["location"]  # said as it is
    assert listing["notice_days"] == 30

    page = call("GET", "/subprocessor_page/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "<h1>Underdatabehandlere i Trivsel</h1>" in page.text
    assert "Amazon Simple Notification Service (SNS), SMS" in page.text
    assert "Overførselsgrundlag" in page.text
    english = call("GET", "/subprocessor_page/?lang=en")
    assert "<h1>Sub-processors of Trivsel</h1>" in english.text
    as_json = call("GET", "/subprocessor_page/?format=json")
    assert as_json.headers["Content-Type"].startswith("application/json")
    assert {s["id"] for s in as_json.json()["subprocessors"]} == set(entries)
    assert call("POST", "/subprocessor_page/").status_code == 405


def test_a_dpa_approves_the_current_list_unless_its_annex_says_otherwise(owner: str) -> None:
    whole = signed(owner)
    assert set(whole["dpa"]["subprocessors"]) >= SEED_IDS
    view = call("GET", f"{API}/tenants/{whole['slug']}/subprocessors", owner).json()
    assert view["recorded"] is True
    ses = approval_of(view, AMAZON_SES)
    assert (ses["approval"], ses["source"]) == ("approved", "dpa")
    assert ses["approved_by"] == token_payload(owner)["user_id"]

    narrow = signed(owner, annex=[*REQUIRED, AMAZON_SES])
    assert narrow["dpa"]["subprocessors"] == sorted([*REQUIRED, AMAZON_SES])
    admin = activate(narrow["admin_email"])
    own = call("GET", f"{API}/tenant/subprocessors", admin).json()
    assert approval_of(own, AMAZON_SNS)["approval"] == "not_approved"
    assert approval_of(own, AMAZON_SES)["approval"] == "approved"


def test_a_dpa_without_a_required_or_with_an_unknown_sub_processor_is_refused(
    owner: str,
) -> None:
    created = provision(owner, dpa=False)
    path = f"{API}/tenants/{created['slug']}/dpa"
    without = call("POST", path, owner, json={**DPA, "subprocessors": [AMAZON_SES]})
    assert "firebase-auth" in problem(without, 409, "subprocessor_required")["detail"]
    unknown = call("POST", path, owner, json={**DPA, "subprocessors": [*REQUIRED, "nobody"]})
    problem(unknown, 422, "validation_failed")
    tenant = call("GET", f"{API}/tenants/{created['slug']}", owner).json()
    assert (tenant["status"], tenant["subprocessors"]) == ("pending", None)
    assert (
        call("GET", f"{API}/tenants/{created['slug']}/contract", owner).json()["contract"]["dpa"]
        is None
    )


def test_an_sms_for_a_tenant_that_has_not_approved_sns_is_failed_and_never_sent(
    owner: str,
) -> None:
    """Must show (issue 11): failed with `subprocessor_not_approved`, nothing at SNS."""
    refused = signed(owner, annex=[*REQUIRED, AMAZON_SES])["slug"]
    allowed = signed(owner)["slug"]
    to_refused, to_allowed = number(), number()

    refused_id = alert(refused, to_refused)
    sent_id = alert(allowed, to_allowed)  # the control: the same SMS, approved

    wait_until(lambda: (m := message(allowed, sent_id)) and m.state is MessageState.SENT)
    wait_until(lambda: sms_to(to_allowed))
    failed = message(refused, refused_id)
    assert failed is not None
    assert (failed.state, failed.failure_reason, failed.attempts) == (
        MessageState.FAILED,
        "subprocessor_not_approved",
        0,
    )
    assert failed.received == 0  # never published: delivery was never handed it
    assert sms_to(to_refused) == []
    [event] = [e for e in events(refused) if e["subject"] == f"{MESSAGES}/{refused_id}"]
    assert event["action"] == "message.failed"
    assert event["details"]["subprocessor"] == AMAZON_SNS


def test_an_sms_queued_before_its_approval_was_withdrawn_fails_at_delivery(owner: str) -> None:
    slug = signed(owner)["slug"]
    to = number()
    request = MessageRequest(
        id=unique("sms"),
        tenant_id=slug,
        channel=Channel.SMS,
        to=to,
        kind="incident_alert",
        text="Trivsel ALARM: test",
    )
    later = datetime.now(UTC) + timedelta(days=1)  # held back by Cloud Tasks: still queued
    outbox.request_message(TenantData(firestore_client(), slug), request, send_at=later)
    queued = message(slug, request.id)
    assert queued is not None
    assert queued.state is MessageState.QUEUED

    withdrawn = call(
        "PUT",
        f"{API}/tenants/{slug}/subprocessors/{AMAZON_SNS}",
        owner,
        json={"approved": False, "note": "Kundens brev af i dag: ingen SMS"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert approval_of(withdrawn.json(), AMAZON_SNS)["approval"] == "withdrawn"

    publish(request)  # as the release at send_at would: the delivery function decides

    def failed() -> MessageRecord | None:
        found = message(slug, request.id)
        return found if found is not None and found.state is MessageState.FAILED else None

    record = wait_until(failed)
    assert record is not None
    assert (record.failure_reason, record.attempts) == ("subprocessor_not_approved", 0)
    assert sms_to(to) == []
    assert "subprocessor.withdrawn" in {e["action"] for e in events(slug)}


def test_a_remote_task_is_refused_before_anything_is_written_without_ses(
    owner: str, org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro, slug = org["pro_token"], org["slug"]
    email = f"{unique('mor')}@example.dk"
    client = new_client(pro, "Ida Jensen", email=email)
    course = call(
        "POST",
        f"/clients_api/clients/{client['id']}/courses",
        pro,
        json={"course_id": catalogue["course"]},
    ).json()
    send = f"/remote_tasks_api/clients/{client['id']}/courses/{course['id']}/items/i0/remote-tasks"
    approval = f"{API}/tenants/{slug}/subprocessors/{AMAZON_SES}"
    assert call("PUT", approval, owner, json={"approved": False, "note": "brev"}).status_code == 200

    problem(call("POST", send, pro, json={}), 409, "subprocessor_not_approved")
    data = TenantData(firestore_client(), slug)
    of_client = FieldFilter("client_id", "==", client["id"])
    assert data.collection("remote_tasks").where(filter=of_client).get() == []
    assert data.collection(MESSAGES).where(filter=of_client).get() == []

    # Approved again (the customer's written approval), the same request sends.
    assert (
        call("PUT", approval, owner, json={"approved": True, "note": "brev 2"}).status_code == 200
    )
    assert call("POST", send, pro, json={}).status_code == 201
    wait_until(lambda: emails_to(email))
