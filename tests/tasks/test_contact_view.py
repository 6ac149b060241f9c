"""What a contact person receives and sees: the e-mail names who asks and why, the page
carries the tenant's privacy notice, and no task is sent without one (issue 21)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.gcp import firestore_client
from tests.accounts import PRIVACY, PRIVACY_NOTICE, events, problem
from tests.helpers import call, emails_to, unique, wait_until

pytestmark = pytest.mark.usefixtures("stack")
API = "/remote_tasks_api"
CLIENTS = "/clients_api"


def on_course(
    org: dict[str, Any], catalogue: dict[str, str], contacts: list[dict[str, Any]]
) -> dict[str, Any]:
    """A client with these contact persons on the course (i0 reflection, i1 memory game)."""
    pro = org["pro_token"]
    body = {"profile": {"name": "Ida Jensen"}, "contacts": contacts}
    client = call("POST", f"{CLIENTS}/clients", pro, json=body)
    assert client.status_code == 201, client.text
    cid = client.json()["id"]
    course = call(
        "POST", f"{CLIENTS}/clients/{cid}/courses", pro, json={"course_id": catalogue["course"]}
    ).json()
    return {**org, "client_id": cid, "item": f"/clients/{cid}/courses/{course['id']}/items"}


def parent(language: str | None = None) -> dict[str, Any]:
    contact = {"name": "Mette", "relation": "mor", "email": f"{unique('mor')}@example.dk"}
    return contact | ({"language": language} if language else {})


def send(ctx: dict[str, Any], item: str) -> list[dict[str, Any]]:
    reply = call("POST", f"{API}{ctx['item']}/{item}/remote-tasks", ctx["pro_token"], json={})
    assert reply.status_code == 201, reply.text
    return list(reply.json()["remote_tasks"])


def record(slug: str, message_id: str) -> dict[str, Any]:
    """The message as handed to SES: its request holds the text part and the HTML part."""
    snapshot = firestore_client().document("tenants", slug, "messages", message_id).get()
    assert snapshot.exists
    return dict((snapshot.to_dict() or {})["request"])


def delivered(address: str, subject_start: str) -> dict[str, Any]:
    """The one e-mail moto received for `address` whose subject starts so."""
    found = wait_until(
        lambda: [m for m in emails_to(address) if m["subject"].startswith(subject_start)]
    )
    assert len(found) == 1, found
    return dict(found[0])


def button_href(body: str) -> str:
    found = re.search(r'<a href="([^"]+)" style="[^"]*">([^<]+)</a>', body)
    assert found, body
    return html.unescape(found.group(1))


def text_link(text: str, label: str) -> str:
    """The URL on the line after the button's label in the plain-text part."""
    lines = text.splitlines()
    return lines[lines.index(label) + 1]


def test_the_email_names_the_professional_and_organisation_in_text_and_html(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    contact = parent()
    ctx = on_course(org, catalogue, [contact])
    [task] = send(ctx, "i1")
    organisation = f"{org['slug'].upper()} Kommune"
    mail = delivered(contact["email"], "En opgave fra")
    # add_professional's display name is "Per Fagperson": the first name and the role.
    assert mail["subject"] == f"En opgave fra Per (fagperson) i {organisation}: Vendespil"
    # As the contact person's mail client gets it: one multipart/alternative message,
    # its text part saying what its HTML part says.
    assert mail["content_type"] == "multipart/alternative"
    sent = record(org["slug"], f"rt-{task['id']}-v1")
    assert (mail["text"].strip(), mail["body"].strip()) == (sent["text"], sent["html"])
    for part in (mail["text"], mail["body"]):
        assert f"Per (fagperson) fra {organisation} har sendt dig opgaven" in html.unescape(part)
        assert "dpo@kommune.example.dk" in part  # the organisation's contact for help
        assert "Linket er personligt og virker til og med" in part
    link = text_link(mail["text"], "Åbn opgaven")
    assert link.startswith("http")
    assert "/remote_task_page/" in link
    assert button_href(mail["body"]) == link
    assert re.search(r'<a href="[^"]+" style="[^"]*">Åbn opgaven</a>', mail["body"])
    assert "<small" in mail["body"]
    assert html.escape(link) in mail["body"]
    stored = call("GET", f"{API}/remote-tasks/{task['id']}", org["pro_token"]).json()
    assert stored["sender"] == {
        "first_name": "Per",
        "role": "professional",
        "email": org["pro"]["email"],
    }
    assert requests.get(link, timeout=10).status_code == 200


def test_an_english_contact_gets_english_and_the_professional_email_where_allowed(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    shown = {**PRIVACY_NOTICE, "show_professional_email": True}
    assert call("PUT", f"{API}/settings/privacy", org["admin_token"], json=shown).status_code == 200
    danish, english = parent(), parent("en")
    ctx = on_course(org, catalogue, [danish, english])
    tasks = send(ctx, "i1")
    assert [t["locale"] for t in tasks] == ["da", "en"]
    mail = delivered(english["email"], "A task from Per (professional) at")
    assert delivered(danish["email"], "En opgave fra Per (fagperson)")
    assert "has sent you the task" in mail["text"]
    assert button_href(mail["body"]) == text_link(mail["text"], "Open the task")
    assert f"write to {org['pro']['email']}" in mail["text"]  # the professional's, as allowed
    page = requests.get(text_link(mail["text"], "Open the task"), timeout=10)
    assert '<html lang="en">' in page.text
    assert "Sent by Per (professional)" in page.text


def test_a_reminder_says_it_is_a_reminder(org: dict[str, Any], catalogue: dict[str, str]) -> None:
    contact = parent()
    ctx = on_course(org, catalogue, [contact])
    [task] = send(ctx, "i0")
    reminder = {"tenant_id": org["slug"], "tasks": [{"task_id": task["id"], "version": 1}]}
    assert call("POST", "/remind_remote_task/", json=reminder).status_code == 204
    mail = delivered(contact["email"], "Påmindelse: En opgave fra Per (fagperson)")
    sent = record(org["slug"], f"rt-{task['id']}-v1-reminder")
    assert sent["text"].splitlines()[2].startswith("Dette er en påmindelse: Per (fagperson) fra")
    assert button_href(mail["body"]) == text_link(sent["text"], "Åbn opgaven")


def test_the_privacy_notice_on_the_page_is_the_tenants_own(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    unusual = {
        "controller": "Zyxkommune Børneforvaltning",
        "purpose": "Qwerty-formål: at følge barnets trivsel",
        "recipients": "Kun teamet på Plumbum-skolen",
        "retention": "Slettes efter 17 måneder",
        "policy_url": "https://zyx.example.dk/privat?x=1&y=2",
        "contact_email": "privatliv@zyx.example.dk",
    }
    assert call("PUT", PRIVACY, org["admin_token"], json=unusual).status_code == 200
    contact = parent()
    ctx = on_course(org, catalogue, [contact])
    [task] = send(ctx, "i0")
    link = text_link(record(org["slug"], f"rt-{task['id']}-v1")["text"], "Åbn opgaven")
    page = requests.get(link, timeout=10).text
    for field in ("controller", "purpose", "retention"):
        found = re.search(rf'<dd id="privacy-{field}">([^<]*)</dd>', page)
        assert found
        assert html.unescape(found.group(1)) == unusual[field]
    assert 'href="https://zyx.example.dk/privat?x=1&amp;y=2"' in page
    assert 'href="mailto:privatliv@zyx.example.dk"' in page
    assert f"{org['slug'].upper()} Kommune" in page
    assert "Sendt af Per (fagperson)" in page
    # Without a controller of its own, the tenant's display name is the controller.
    default = {k: v for k, v in unusual.items() if k != "controller"}
    assert call("PUT", PRIVACY, org["admin_token"], json=default).status_code == 200
    page = requests.get(link, timeout=10).text
    assert f'<dd id="privacy-controller">{org["slug"].upper()} Kommune</dd>' in page


def test_privacy_settings_are_validated_admin_only_and_audited(org: dict[str, Any]) -> None:
    admin, pro = org["admin_token"], org["pro_token"]
    plain = {**PRIVACY_NOTICE, "policy_url": "http://kommune.example.dk/privatliv"}
    problem(call("PUT", PRIVACY, admin, json=plain), 422, "validation_failed")
    problem(call("PUT", PRIVACY, admin, json={**PRIVACY_NOTICE, "x": 1}), 422, "validation_failed")
    problem(
        call("PUT", PRIVACY, admin, json={**PRIVACY_NOTICE, "purpose": ""}),
        422,
        "validation_failed",
    )
    problem(call("PUT", PRIVACY, pro, json=PRIVACY_NOTICE), 403, "forbidden")
    assert call("GET", PRIVACY, pro).json()["policy_url"] == PRIVACY_NOTICE["policy_url"]
    changed = [e for e in events(org["slug"]) if e["action"] == "tenant.privacy_notice_changed"]
    assert len(changed) == 1  # the one of active_tenant: refused changes are not recorded
    assert changed[0]["actor"] == org["admin_uid"]


def test_without_a_privacy_notice_nothing_is_sent_or_resent(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    contact = parent()
    ctx = on_course(org, catalogue, [contact])
    [task] = send(ctx, "i0")
    tenant = firestore_client().document("tenants", org["slug"])
    tenant.update({"privacy": None})  # a tenant from before notices were asked for
    problem(call("GET", PRIVACY, org["admin_token"]), 404, "not_found")
    path = f"{API}{ctx['item']}/i1/remote-tasks"
    problem(call("POST", path, org["pro_token"], json={}), 409, "privacy_policy_missing")
    resend = f"{API}/remote-tasks/{task['id']}/resend"
    problem(call("POST", resend, org["pro_token"]), 409, "privacy_policy_missing")
    of_client = FieldFilter("client_id", "==", ctx["client_id"])
    tasks = tenant.collection("remote_tasks").where(filter=of_client).get()
    assert [(t.id, (t.to_dict() or {})["link_version"]) for t in tasks] == [(task["id"], 1)]
    messages = tenant.collection("messages").where(filter=of_client).get()
    assert [m.id for m in messages] == [f"rt-{task['id']}-v1"]


def test_a_refused_link_says_whom_to_ask_for_a_new_one(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    contact = parent()
    ctx = on_course(org, catalogue, [contact])
    [task] = send(ctx, "i0")
    link = text_link(record(org["slug"], f"rt-{task['id']}-v1")["text"], "Åbn opgaven")
    resent = call("POST", f"{API}/remote-tasks/{task['id']}/resend", org["pro_token"])
    assert resent.status_code == 200, resent.text
    page = requests.get(link, timeout=10)
    assert page.status_code == 410
    organisation = f"{org['slug'].upper()} Kommune"
    assert f"spørg Per (fagperson) i {organisation}" in page.text
    assert 'href="mailto:dpo@kommune.example.dk"' in page.text
    # A link we cannot read says the same without names.
    tampered = requests.get(link[:-3] + "abc", timeout=10)
    assert tampered.status_code == 400
    assert "spørg den fagperson, der sendte opgaven" in tampered.text


def png(width: int = 2, height: int = 2) -> bytes:
    """A real PNG of one colour, made here (no image library needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x1e\x3a\x8a" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


LOGO = f"{API}/settings/logo"


def test_the_logo_is_checked_by_its_first_bytes_and_shown_inline(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    import base64

    admin = org["admin_token"]
    contact = parent()
    ctx = on_course(org, catalogue, [contact])
    [task] = send(ctx, "i0")
    link = text_link(record(org["slug"], f"rt-{task['id']}-v1")["text"], "Åbn opgaven")
    assert "<img" not in requests.get(link, timeout=10).text  # none uploaded yet

    image = base64.b64encode(png()).decode()
    uploaded = call("PUT", LOGO, admin, json={"content_base64": image})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["content_type"] == "image/png"
    page = requests.get(link, timeout=10)
    assert f'<img class="logo" src="data:image/png;base64,{image}" alt="">' in page.text
    assert "img-src data:;" in page.headers["Content-Security-Policy"]

    stored = firestore_client().document("tenants", org["slug"], "settings", "logo")
    before = stored.get().update_time
    gif = base64.b64encode(b"GIF89a" + b"\x00" * 40).decode()
    problem(call("PUT", LOGO, admin, json={"content_base64": gif}), 422, "logo_not_image")
    text = base64.b64encode(b"<svg onload=alert(1)></svg>").decode()
    problem(call("PUT", LOGO, admin, json={"content_base64": text}), 422, "logo_not_image")
    problem(call("PUT", LOGO, admin, json={"content_base64": "not base64!"}), 422, "logo_not_image")
    big = base64.b64encode(png()[:8] + b"\x00" * 100_000).decode()
    problem(call("PUT", LOGO, admin, json={"content_base64": big}), 413, "logo_too_large")
    problem(call("PUT", LOGO, org["pro_token"], json={"content_base64": image}), 403, "forbidden")
    assert stored.get().update_time == before  # no refusal wrote anything
    changed = [e for e in events(org["slug"]) if e["action"] == "tenant.logo_changed"]
    assert [e["details"] for e in changed] == [{"content_type": "image/png", "size": len(png())}]

    assert call("DELETE", LOGO, admin).status_code == 204
    assert "<img" not in requests.get(link, timeout=10).text
