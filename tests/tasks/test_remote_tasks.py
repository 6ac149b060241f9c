"""Remote tasks: exercises sent by e-mail link and answered on a web page (SPEC R-1, R-2, R-4)."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
import requests
from itsdangerous.encoding import base64_decode, base64_encode
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from functions.tasks import links
from shared.gcp import queue_path, tasks_client
from tests.accounts import SECURITY, activate, active_tenant, add_professional, problem
from tests.browser import chromium
from tests.content import new_client
from tests.helpers import call, emails_to, unique, wait_until

pytestmark = pytest.mark.usefixtures("stack")
API = "/remote_tasks_api"
CLIENTS = "/clients_api"


@pytest.fixture
def assigned(org: dict[str, Any], catalogue: dict[str, str]) -> dict[str, Any]:
    """A client (with a contact person of their own) on the course: i0 reflection, i1 memory."""
    pro = org["pro_token"]
    email = f"{unique('mor')}@example.dk"
    client = new_client(pro, "Ida Jensen", email=email)
    course = call(
        "POST",
        f"{CLIENTS}/clients/{client['id']}/courses",
        pro,
        json={"course_id": catalogue["course"]},
    ).json()
    item = f"/clients/{client['id']}/courses/{course['id']}/items"
    return {**org, "client": client, "course_ref": course["id"], "item": item, "email": email}


def send(ctx: dict[str, Any], item_id: str, **body: Any) -> dict[str, Any]:
    reply = call("POST", f"{API}{ctx['item']}/{item_id}/remote-tasks", ctx["pro_token"], json=body)
    assert reply.status_code == 201, reply.text
    [task] = reply.json()["remote_tasks"]
    return dict(task)


def link_for(email: str, subject_start: str = "En opgave", count: int = 1) -> str:
    """The link in the newest of at least `count` e-mails whose subject starts so."""

    def mails() -> list[dict[str, Any]]:
        found = [m for m in emails_to(email) if m["subject"].startswith(subject_start)]
        return found if len(found) >= count else []

    newest = wait_until(mails)[-1]
    found = re.search(r'href="([^"]+)"', newest["body"])
    assert found
    return html.unescape(found.group(1))


def releases_of(tenant_id: str, message_id: str) -> list[str]:
    """What the scheduled-message release publishes for `message_id`, run in this process
    with publishing recorded instead of done (so nothing can arrive later unseen)."""
    from unittest import mock

    from functions.messaging import main as messaging
    from shared.messaging.models import ScheduledRelease

    published: list[str] = []
    with mock.patch.object(
        messaging, "dispatch", lambda requests: published.extend(r.id for r in requests)
    ):
        messaging.release(ScheduledRelease(tenant_id=tenant_id, message_ids=[message_id]))
    return published


def with_parents(
    org: dict[str, Any], catalogue: dict[str, str], name: str, count: int
) -> tuple[dict[str, Any], str, list[dict[str, str]]]:
    """A client with `count` contact persons, on the course: the client, the path of its
    first exercise (i0) and the contact persons."""
    pro, tag = org["pro_token"], unique("parents")
    contacts = [
        {"name": f"Forælder {n}", "relation": "forælder", "email": f"{tag}-{n}@example.dk"}
        for n in range(count)
    ]
    body = {"profile": {"name": name}, "contacts": contacts}
    client = call("POST", f"{CLIENTS}/clients", pro, json=body).json()
    course = call(
        "POST",
        f"{CLIENTS}/clients/{client['id']}/courses",
        pro,
        json={"course_id": catalogue["course"]},
    ).json()
    return client, f"/clients/{client['id']}/courses/{course['id']}/items/i0", contacts


def task_of(ctx: dict[str, Any], task_id: str) -> dict[str, Any]:
    return dict(call("GET", f"{API}/remote-tasks/{task_id}", ctx["pro_token"]).json())


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = chromium("--lang=da")
    try:
        yield driver
    finally:
        driver.quit()


def test_a_contact_plays_the_memory_game_in_a_real_browser(
    assigned: dict[str, Any], browser: webdriver.Chrome
) -> None:
    task = send(assigned, "i1")
    [mail] = wait_until(lambda: emails_to(assigned["email"]))
    assert mail["subject"].startswith("En opgave fra")
    assert "Vendespil" in mail["subject"]
    link = link_for(assigned["email"])

    browser.get(link)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Vendespil"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da"
    submit = browser.find_element(By.ID, "submit")
    assert not submit.is_enabled()  # nothing to send before the game is played
    deck = json.loads(browser.find_element(By.ID, "deck").get_attribute("textContent") or "[]")
    cards = browser.find_elements(By.CSS_SELECTOR, "#grid button.card")
    assert len(cards) == len(deck) == 4
    for pair in {card["pair"] for card in deck}:
        first, second = [i for i, card in enumerate(deck) if card["pair"] == pair]
        cards[first].click()
        cards[second].click()
    # The page is replaced by the answer's page: elements of the old one may go stale.
    wait = WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: d.find_element(By.ID, "submit").is_enabled())
    browser.find_element(By.ID, "submit").click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Tak for dit svar")

    answered = task_of(assigned, task["id"])
    assert answered["status"] == "answered"
    assert answered["answer"]["matched_pairs"] == 2
    assert answered["answer"]["moves"] == 2
    completed = datetime.fromisoformat(answered["answered_at"])
    assert abs(completed - datetime.now(UTC)) < timedelta(minutes=1)
    course = call(
        "GET", f"{CLIENTS}{assigned['item'].rsplit('/items', 1)[0]}", assigned["pro_token"]
    ).json()
    assert course["items"][1]["status"] == "performed"
    log = call(
        "GET",
        f"{CLIENTS}/clients/{assigned['client']['id']}/log",
        assigned["pro_token"],
        params={"exercise_id": task["exercise_id"]},
    ).json()["entries"]
    actions = [e["action"] for e in log]
    for action in ("remote_task.sent", "remote_task.opened", "remote_task.answered"):
        assert action in actions


def test_a_reflection_is_answered_exactly_once(assigned: dict[str, Any]) -> None:
    task = send(assigned, "i0")
    link = link_for(assigned["email"])
    page = requests.get(link, timeout=10)
    assert page.status_code == 200
    assert '<label for="a_hvad">' in page.text
    assert "nonce-" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # Nothing is fetched from anywhere else: no CDN, no font, no stylesheet link (the one
    # link out is the privacy policy's, an anchor the reader may follow).
    assert not re.search(r'src="(?:https?:)?//', page.text)
    assert re.findall(r'href="(?:https?:)?//[^"]*"', page.text) == [
        'href="https://kommune.example.dk/privatliv"'
    ]
    assert "<link" not in page.text

    missing = requests.post(link, data={"a_hvad": "Fremlæggelser"}, timeout=10)
    assert missing.status_code == 422
    assert "Svaret kunne ikke gemmes" in missing.text
    assert "Fremlæggelser" in missing.text  # what was typed is kept
    assert task_of(assigned, task["id"])["status"] == "opened"

    done = requests.post(link, data={"a_hvad": "Fremlæggelser", "a_hjaelp": "Ro"}, timeout=10)
    assert done.status_code == 200
    assert "Tak for dit svar" in done.text
    again = requests.post(link, data={"a_hvad": "Noget andet", "a_hjaelp": "X"}, timeout=10)
    assert again.status_code == 409
    assert "allerede besvaret" in again.text
    saved = task_of(assigned, task["id"])
    assert saved["answer"] == {"answers": {"hvad": "Fremlæggelser", "hjaelp": "Ro"}}
    assert requests.get(link, timeout=10).status_code == 409


def test_a_tampered_link_gets_a_clear_page_and_changes_nothing(assigned: dict[str, Any]) -> None:
    task = send(assigned, "i0")
    link = link_for(assigned["email"])
    base, token = link.rsplit("/", 1)
    payload, mac = token.split(".")
    claims = json.loads(base64_decode(payload))
    longer = base64_encode(json.dumps({**claims, "x": claims["x"] + 10**6})).decode()
    other_task = base64_encode(json.dumps({**claims, "r": "someone-else"})).decode()
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for bad in (
        f"{longer}.{mac}",
        f"{other_task}.{mac}",
        f"{payload}.{flipped}",
        f"{payload}.{mac[:10]}!!!!{mac[10:]}",
        f"{payload}.{mac}=",
        "nonsense",
    ):
        page = requests.get(f"{base}/{bad}", timeout=10)
        assert page.status_code == 400, bad
        assert "Linket er ikke gyldigt" in page.text
        posted = requests.post(f"{base}/{bad}", data={"a_hvad": "x", "a_hjaelp": "y"}, timeout=10)
        assert posted.status_code == 400
    saved = task_of(assigned, task["id"])
    assert saved["status"] == "sent"
    assert saved["answer"] is None


def test_an_expired_link_gets_a_clear_page(assigned: dict[str, Any]) -> None:
    task = send(assigned, "i0")
    link = link_for(assigned["email"])
    expired = links.sign(links.Link(assigned["slug"], task["id"], 1, int(time.time()) - 60))
    page = requests.get(link.rsplit("/", 1)[0] + "/" + expired, timeout=10)
    assert page.status_code == 410
    assert "Linket er udløbet" in page.text
    english = requests.get(link.rsplit("/", 1)[0] + "/" + expired + "?lang=en", timeout=10)
    assert "The link has expired" in english.text


def test_a_cancelled_task_cannot_be_answered(assigned: dict[str, Any]) -> None:
    task = send(assigned, "i0")
    link = link_for(assigned["email"])
    cancelled = call("POST", f"{API}/remote-tasks/{task['id']}/cancel", assigned["pro_token"])
    assert cancelled.json()["status"] == "cancelled"
    assert "trukket tilbage" in requests.get(link, timeout=10).text
    posted = requests.post(link, data={"a_hvad": "x", "a_hjaelp": "y"}, timeout=10)
    assert posted.status_code == 410
    assert task_of(assigned, task["id"])["answer"] is None
    problem(
        call("POST", f"{API}/remote-tasks/{task['id']}/cancel", assigned["pro_token"]),
        409,
        "invalid_transition",
    )


def test_resending_replaces_the_link(assigned: dict[str, Any]) -> None:
    task = send(assigned, "i0")
    old = link_for(assigned["email"])
    resent = call("POST", f"{API}/remote-tasks/{task['id']}/resend", assigned["pro_token"]).json()
    assert resent["link_version"] == 2
    new = link_for(assigned["email"], count=2)
    assert new != old
    assert requests.get(old, timeout=10).status_code == 410
    assert requests.get(new, timeout=10).status_code == 200


def test_a_link_of_tenant_a_opens_nothing_of_tenant_b(
    assigned: dict[str, Any],
    owner: str,
    catalogue: dict[str, str],
) -> None:
    task = send(assigned, "i0")
    link = link_for(assigned["email"])
    other = active_tenant(owner, focus_areas=[catalogue["area"]])
    # A's task id under B's tenant, and B's token for A's task: signed, but nothing there.
    crossed = links.sign(links.Link(other["slug"], task["id"], 1, int(time.time()) + 3600))
    page = requests.get(link.rsplit("/", 1)[0] + "/" + crossed, timeout=10)
    assert page.status_code == 404
    assert "Vendespil" not in page.text
    assert "Mine bekymringer" not in page.text
    intruder = activate(add_professional(other["admin_token"])["email"])
    for method, path in [
        ("GET", f"/remote-tasks/{task['id']}"),
        ("POST", f"/remote-tasks/{task['id']}/cancel"),
        ("POST", f"/remote-tasks/{task['id']}/resend"),
        ("GET", f"/clients/{assigned['client']['id']}/remote-tasks"),
        ("POST", f"{assigned['item']}/i0/remote-tasks"),
    ]:
        assert call(method, API + path, intruder, json={}).status_code == 404, path
    assert task_of(assigned, task["id"])["status"] == "sent"


def _message(ctx: dict[str, Any], message_id: str) -> dict[str, Any] | None:
    from shared.gcp import firestore_client

    snapshot = firestore_client().document("tenants", ctx["slug"], "messages", message_id).get()
    return snapshot.to_dict() if snapshot.exists else None


def test_the_reminder_is_scheduled_sent_once_and_not_after_an_answer(
    assigned: dict[str, Any],
) -> None:
    task = send(assigned, "i0")
    queued = [
        t
        for t in tasks_client().list_tasks(parent=queue_path("remote-task-reminders"))
        if t.name.endswith(f"remind-{task['id']}-v1")
    ]
    assert len(queued) == 1
    due = queued[0].schedule_time
    assert timedelta(days=2) < due - datetime.now(UTC) < timedelta(days=4)

    reminder = {"tenant_id": assigned["slug"], "tasks": [{"task_id": task["id"], "version": 1}]}
    for _ in range(2):  # Cloud Tasks delivers at least once
        assert call("POST", "/remind_remote_task/", json=reminder).status_code == 204
    message_id = f"rt-{task['id']}-v1-reminder"
    # Both deliveries reached the delivery function; one e-mail went out.
    wait_until(
        lambda: (
            (m := _message(assigned, message_id)) is not None
            and m["state"] == "sent"
            and m["received"] >= 2
        )
    )
    reminders = [m for m in emails_to(assigned["email"]) if m["subject"].startswith("Påmindelse")]
    assert len(reminders) == 1

    second = send(assigned, "i1")
    answered = requests.post(
        link_for(assigned["email"], count=2),
        timeout=10,
        data={"matched_pairs": "2", "moves": "3", "seconds": "20"},
    )
    assert answered.status_code == 200
    assert (
        call(
            "POST",
            "/remind_remote_task/",
            json={
                "tenant_id": assigned["slug"],
                "tasks": [{"task_id": second["id"], "version": 1}],
            },
        ).status_code
        == 204
    )
    assert _message(assigned, f"rt-{second['id']}-v1-reminder") is None  # nothing requested


def test_sending_refuses_what_cannot_be_sent(
    assigned: dict[str, Any],
    owner: str,
    catalogue: dict[str, str],
) -> None:
    pro = assigned["pro_token"]
    problem(
        call("POST", f"{API}{assigned['item']}/i9/remote-tasks", pro, json={}), 404, "not_found"
    )
    problem(
        call("POST", f"{API}{assigned['item']}/i0/remote-tasks", pro, json={"contacts": [5]}),
        422,
        "validation_failed",
    )
    no_email = call(
        "POST",
        f"{CLIENTS}/clients",
        pro,
        json={
            "profile": {"name": "Uden Mail"},
            "contacts": [{"name": "Far", "relation": "far", "phone": "+4512345678"}],
        },
    ).json()
    course = call(
        "POST",
        f"{CLIENTS}/clients/{no_email['id']}/courses",
        pro,
        json={"course_id": catalogue["course"]},
    ).json()
    problem(
        call(
            "POST",
            f"{API}/clients/{no_email['id']}/courses/{course['id']}/items/i0/remote-tasks",
            pro,
            json={},
        ),
        422,
        "validation_failed",
    )
    problem(
        call("POST", f"{API}{assigned['item']}/i0/remote-tasks", owner, json={}), 403, "forbidden"
    )


def test_a_send_can_wait_until_a_chosen_time_or_be_cancelled_before(
    assigned: dict[str, Any],
) -> None:
    send_at = datetime.now(UTC) + timedelta(seconds=3)
    task = send(assigned, "i0", send_at=send_at.isoformat())
    assert task["status"] == "scheduled"
    record = _message(assigned, f"rt-{task['id']}-v1")
    assert record is not None
    assert record["state"] == "queued"
    assert record["scheduled_for"] is not None
    wait_until(lambda: emails_to(assigned["email"]), timeout=30)
    assert requests.get(link_for(assigned["email"]), timeout=10).status_code == 200

    later = send(assigned, "i1", send_at=(datetime.now(UTC) + timedelta(seconds=2)).isoformat())
    call("POST", f"{API}/remote-tasks/{later['id']}/cancel", assigned["pro_token"])
    withdrawn = _message(assigned, f"rt-{later['id']}-v1")
    assert withdrawn is not None
    assert withdrawn["state"] == "failed"
    assert withdrawn["failure_reason"].startswith("withdrawn")
    # When its time comes, the release (what Cloud Tasks calls) finds nothing to send.
    assert releases_of(assigned["slug"], f"rt-{later['id']}-v1") == []
    assert len(emails_to(assigned["email"])) == 1
    problem(
        call(
            "POST",
            f"{API}{assigned['item']}/i0/remote-tasks",
            assigned["pro_token"],
            json={"send_at": "2026-12-01T10:00:00"},
        ),
        422,
        "validation_failed",
    )
    problem(
        call(
            "POST",
            f"{API}{assigned['item']}/i0/remote-tasks",
            assigned["pro_token"],
            json={"send_at": (datetime.now(UTC) + timedelta(days=40)).isoformat()},
        ),
        422,
        "validation_failed",
    )


def test_opening_a_link_too_often_is_slowed_down(assigned: dict[str, Any]) -> None:
    send(assigned, "i0")
    link = link_for(assigned["email"])
    statuses = [requests.get(link, timeout=10).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(assigned: dict[str, Any]) -> None:
    send(assigned, "i0")
    link = link_for(assigned["email"])
    statuses = [
        requests.get(link, timeout=10, headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code
        for n in range(31)
    ]
    assert statuses[30] == 429


def test_a_pseudonymised_client_s_contact_stays_sealed(assigned: dict[str, Any]) -> None:
    pro = assigned["pro_token"]
    call("POST", f"{CLIENTS}/clients/{assigned['client']['id']}/pseudonymise", pro)
    task = send(assigned, "i0")
    assert task["contact_name"] == "(pseudonymiseret)"
    assert task["contact_email"] == ""
    assert assigned["email"] not in json.dumps(task_of(assigned, task["id"]))
    assert requests.get(link_for(assigned["email"]), timeout=10).status_code == 200


def test_erasing_the_client_takes_the_remote_tasks_and_their_links(
    assigned: dict[str, Any],
) -> None:
    task = send(assigned, "i0")
    link = link_for(assigned["email"])
    wait_until(lambda: (m := _message(assigned, f"rt-{task['id']}-v1")) and m["state"] == "sent")
    export = call(
        "GET", f"{CLIENTS}/clients/{assigned['client']['id']}/export", assigned["admin_token"]
    ).json()
    assert [t["id"] for t in export["records"]["remote_tasks"]] == [task["id"]]
    assert (
        call(
            "DELETE", f"{CLIENTS}/clients/{assigned['client']['id']}", assigned["pro_token"]
        ).status_code
        == 200
    )
    assert requests.get(link, timeout=10).status_code == 404
    assert _message(assigned, f"rt-{task['id']}-v1") is None
    problem(
        call("GET", f"{API}/remote-tasks/{task['id']}", assigned["pro_token"]), 404, "not_found"
    )


def test_a_suspended_tenant_s_links_do_not_open(assigned: dict[str, Any], owner: str) -> None:
    send(assigned, "i0")
    link = link_for(assigned["email"])
    call("POST", f"/auth_api/tenants/{assigned['slug']}/suspend", owner, json=SECURITY)
    page = requests.get(link, timeout=10)
    assert page.status_code == 403
    assert "kan ikke åbnes lige nu" in page.text


def test_a_reminder_task_delivered_twice_at_once_sends_one_reminder(
    assigned: dict[str, Any],
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    task = send(assigned, "i0")
    reminder = {"tenant_id": assigned["slug"], "tasks": [{"task_id": task["id"], "version": 1}]}

    def deliver(_: int) -> int:
        return call("POST", "/remind_remote_task/", json=reminder).status_code

    with ThreadPoolExecutor(2) as pool:  # Cloud Tasks delivering the same task twice
        assert list(pool.map(deliver, range(2))) == [204, 204]
    message_id = f"rt-{task['id']}-v1-reminder"
    wait_until(
        lambda: (
            (m := _message(assigned, message_id)) is not None
            and m["state"] == "sent"
            and m["received"] >= 2
        )
    )
    reminders = [m for m in emails_to(assigned["email"]) if m["subject"].startswith("Påmindelse")]
    assert len(reminders) == 1


def test_reminders_come_before_the_link_expires(assigned: dict[str, Any]) -> None:
    problem(
        call(
            "PUT",
            f"{API}/settings",
            assigned["admin_token"],
            json={"link_days": 3, "reminder_days": 3},
        ),
        422,
        "validation_failed",
    )
    problem(
        call(
            "PUT",
            f"{API}/settings",
            assigned["pro_token"],
            json={"link_days": 10, "reminder_days": 2},
        ),
        403,
        "forbidden",
    )
    changed = call(
        "PUT",
        f"{API}/settings",
        assigned["admin_token"],
        json={"link_days": 10, "reminder_days": 2},
    )
    assert changed.json() == {"link_days": 10, "reminder_days": 2}


def test_an_answer_to_an_exercise_replaced_since_is_kept_on_the_task_not_the_course(
    assigned: dict[str, Any], catalogue: dict[str, str]
) -> None:
    task = send(assigned, "i0")  # the reflection
    link = link_for(assigned["email"])
    replaced = call(
        "PUT",
        f"{CLIENTS}{assigned['item']}/i0",
        assigned["pro_token"],
        json={"exercise_id": catalogue["memory"]},
    )
    assert replaced.status_code == 200, replaced.text

    done = requests.post(link, data={"a_hvad": "Fremlæggelser", "a_hjaelp": "Ro"}, timeout=10)

    assert done.status_code == 200
    assert task_of(assigned, task["id"])["answer"] == {
        "answers": {"hvad": "Fremlæggelser", "hjaelp": "Ro"}
    }
    course = call(
        "GET",
        f"{CLIENTS}/clients/{assigned['client']['id']}/courses/{assigned['course_ref']}",
        assigned["pro_token"],
    ).json()
    item = next(i for i in course["items"] if i["id"] == "i0")
    assert item["exercise_id"] == catalogue["memory"]
    assert item["status"] != "performed"  # reflection answers never perform the memory game
    assert item["answers"] is None


def test_a_fan_out_to_a_class_sends_every_mail_and_schedules_one_reminder(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro = org["pro_token"]
    client, item, contacts = with_parents(org, catalogue, "Klasse 4.b", 30)

    reply = call("POST", f"{API}{item}/remote-tasks", pro, json={})

    assert reply.status_code == 201, reply.text
    tasks = reply.json()["remote_tasks"]
    assert len(tasks) == 30
    assert {t["contact_email"] for t in tasks} == {c["email"] for c in contacts}
    for address in (c["email"] for c in contacts):  # every parent gets exactly one e-mail
        wait_until(partial(lambda to: len(emails_to(to)) == 1, address))
    reminders = [
        t
        for t in tasks_client().list_tasks(parent=queue_path("remote-task-reminders"))
        if json.loads(t.http_request.body).get("tenant_id") == org["slug"]
        and {x["task_id"] for x in json.loads(t.http_request.body)["tasks"]}
        & {t["id"] for t in tasks}
    ]
    assert len(reminders) == 1
    listed = json.loads(reminders[0].http_request.body)["tasks"]
    assert sorted(x["task_id"] for x in listed) == sorted(t["id"] for t in tasks)
    log = call("GET", f"{CLIENTS}/clients/{client['id']}/log", pro, params={"limit": 200}).json()
    assert sum(e["action"] == "remote_task.sent" for e in log["entries"]) == 30


def test_an_oversized_answer_gets_a_clear_page_and_changes_nothing(
    assigned: dict[str, Any],
) -> None:
    task = send(assigned, "i0")
    link = link_for(assigned["email"])
    huge = {"a_hvad": "x" * 700_000, "a_hjaelp": "y"}
    as_form = requests.post(link, data=huge, timeout=30)
    as_multipart = requests.post(link, files={"a_hvad": ("a.txt", b"x" * 700_000)}, timeout=30)
    for reply in (as_form, as_multipart):
        assert reply.status_code == 413
        assert "Svaret er for langt" in reply.text
    assert task_of(assigned, task["id"])["answer"] is None


def test_two_contact_persons_answering_at_once_leave_the_first_answer_on_the_course(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    """Both answers are kept on their own tasks; the course keeps the first, every round."""
    pro = org["pro_token"]
    for round_number in range(4):
        client, item, contacts = with_parents(org, catalogue, "Par", 2)
        assert call("POST", f"{API}{item}/remote-tasks", pro, json={}).status_code == 201
        links_ = [link_for(c["email"]) for c in contacts]
        together = threading.Barrier(2)

        def answer(link: str, text: str, barrier: threading.Barrier = together) -> int:
            barrier.wait()
            return requests.post(
                link, data={"a_hvad": text, "a_hjaelp": text}, timeout=30
            ).status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            codes = list(pool.map(answer, links_, ["mor", "far"]))
        assert codes == [200, 200]
        tasks = call("GET", f"{API}/clients/{client['id']}/remote-tasks", pro).json()[
            "remote_tasks"
        ]
        kept = call("GET", f"{CLIENTS}{item.rsplit('/items', 1)[0]}", pro).json()["items"][0]
        # One answer reached the course first and stayed: performed once, never replaced.
        log = call(
            "GET",
            f"{CLIENTS}/clients/{client['id']}/log",
            pro,
            params={"action": "exercise.perform"},
        ).json()["entries"]
        assert len(log) == 1, round_number
        first = next(t for t in tasks if log[0]["actor"] == f"contact:{t['id']}")
        assert kept["answers"] == first["answer"], round_number
        assert {t["status"] for t in tasks} == {"answered"}


def test_twelve_concurrent_opens_of_one_link_all_open_the_page(assigned: dict[str, Any]) -> None:
    send(assigned, "i0")
    link = link_for(assigned["email"])
    start = threading.Barrier(12)

    def open_page(_: int) -> int:
        start.wait()
        return requests.get(link, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        assert list(pool.map(open_page, range(12))) == [200] * 12


def test_twelve_concurrent_answers_to_one_link_store_one_answer(assigned: dict[str, Any]) -> None:
    task = send(assigned, "i0")
    link = link_for(assigned["email"])
    start = threading.Barrier(12)

    def answer(n: int) -> tuple[int, str]:
        start.wait()
        reply = requests.post(link, data={"a_hvad": f"svar {n}", "a_hjaelp": "x"}, timeout=30)
        return reply.status_code, reply.text

    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(answer, range(12)))
    assert sorted(code for code, _ in replies) == [200] + [409] * 11
    assert all("allerede besvaret" in text for code, text in replies if code == 409)
    stored = task_of(assigned, task["id"])["answer"]
    winner = next(n for n, (code, _) in enumerate(replies) if code == 200)
    assert stored == {"answers": {"hvad": f"svar {winner}", "hjaelp": "x"}}
