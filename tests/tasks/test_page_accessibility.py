"""The page behind a link in headless Chromium, as a parent or child meets it: every
exercise kind, the confirmation and every refusal page at phone (420 px) and desktop
(1280 px) width, each state screenshotted and checked by axe-core for WCAG 2.0/2.1 A and
AA (issue 21).

axe-core is injected with ChromeDriver's script evaluation, which the page's CSP does
not govern (DevTools evaluation); the test also shows the CSP still refuses a script
the page itself would add. Screenshots land in .stack/test<offset>/screenshots/ (one PNG per
state and width), overwritten on each run.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from emulators.profiles import PROFILES
from functions.tasks import links
from tests.browser import chromium
from tests.helpers import call, unique
from tests.tasks.test_contact_view import png, record, text_link

pytestmark = pytest.mark.usefixtures("stack")
API = "/remote_tasks_api"
CLIENTS = "/clients_api"
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "emulators" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = PROFILES["test"].state_dir / "screenshots"
WIDTHS = (420, 1280)
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def kinds(owner: str) -> dict[str, str]:
    """A licensed area whose course has one exercise of every kind a link can carry."""
    area = unique("trivsel")
    ids = {k: unique(k) for k in ("memory", "reflection", "film", "course")}

    def put(kind: str, item_id: str, body: dict[str, Any]) -> None:
        reply = call("PUT", f"{CLIENTS}/catalogue/{kind}/{item_id}", owner, json=body)
        assert reply.status_code == 200, reply.text

    put("focus-areas", area, {"name": "Trivsel"})
    put(
        "exercises",
        ids["memory"],
        {
            "focus_area": area,
            "title": "Følelses-vendespil",
            "purpose": "Spillet hjælper med at sætte ord på følelser.",
            "instructions": "Vend to kort ad gangen og find de par, der passer sammen.",
            "content": {
                "kind": "memory_game",
                "pairs": [
                    {"front": "Glad", "back": "Jeg fik en ny ven"},
                    {"front": "Bange", "back": "Jeg skal fremlægge"},
                    {"front": "Stolt", "back": "Jeg lærte at cykle"},
                ],
            },
        },
    )
    put(
        "exercises",
        ids["reflection"],
        {
            "focus_area": area,
            "title": "Mine bekymringer",
            "purpose": "Svarene hjælper fagpersonen med at forstå, hvad der fylder.",
            "instructions": "Skriv dine tanker ned. Der er ingen forkerte svar.",
            "content": {
                "kind": "reflection",
                "fields": [
                    {"id": "hvad", "label": "Hvad bekymrer du dig mest om?"},
                    {"id": "hjaelp", "label": "Hvad hjælper dig?"},
                ],
            },
        },
    )
    put(
        "exercises",
        ids["film"],
        {
            "focus_area": area,
            "title": "Tankefælder",
            "purpose": "Filmen træner at opdage tanker, der gør bekymringer større.",
            "content": {
                "kind": "film_reflection",
                "video_url": "https://media.example.dk/tankefaelder.mp4",
                "fields": [{"id": "faelde", "label": "Hvilken tankefælde kender du?"}],
            },
        },
    )
    exercises = [ids["memory"], ids["reflection"], ids["film"]]
    put(
        "courses",
        ids["course"],
        {
            "focus_area": area,
            "title": "Trivsel",
            "modules": [{"id": "m1", "title": "Alle", "exercise_ids": exercises}],
        },
    )
    return {**ids, "area": area}


@pytest.fixture
def site(owner: str, kinds: dict[str, str]) -> dict[str, Any]:
    from tests.accounts import activate, active_tenant, add_professional

    created = active_tenant(owner, seats=3, focus_areas=[kinds["area"]])
    pro = activate(add_professional(created["admin_token"])["email"])
    contact = {"name": "Mette", "relation": "mor", "email": f"{unique('mor')}@example.dk"}
    body = {"profile": {"name": "Ida Jensen"}, "contacts": [contact]}
    client = call("POST", f"{CLIENTS}/clients", pro, json=body).json()
    course = call(
        "POST",
        f"{CLIENTS}/clients/{client['id']}/courses",
        pro,
        json={"course_id": kinds["course"]},
    ).json()
    item = f"{API}/clients/{client['id']}/courses/{course['id']}/items"
    logo = {"content_base64": base64.b64encode(png(96, 32)).decode()}
    assert call("PUT", f"{API}/settings/logo", created["admin_token"], json=logo).ok
    return {**created, "pro_token": pro, "item": item}


def sent(site: dict[str, Any], item: str) -> tuple[dict[str, Any], str]:
    """Send item `item` to the contact person: the task and the link in its e-mail."""
    reply = call("POST", f"{site['item']}/{item}/remote-tasks", site["pro_token"], json={})
    assert reply.status_code == 201, reply.text
    [task] = reply.json()["remote_tasks"]
    version = task["link_version"]
    return task, text_link(
        record(site["slug"], f"rt-{task['id']}-v{version}")["text"], "Åbn opgaven"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = chromium("--lang=da", "--hide-scrollbars")
    try:
        yield driver
    finally:
        driver.quit()


def violations(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the page as it is now."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE.read_text())
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))))"
        ".catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));",
        WCAG,
    )
    return list(found)


def check(driver: webdriver.Chrome, state: str) -> list[str]:
    """Screenshot and axe the current page at each width: the problems found, if any."""
    problems = []
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(600, min(int(height) + 40, 4000)))
        driver.save_screenshot(str(SHOTS / f"{state}-{width}.png"))
        problems += [
            f"{state} @{width}px: {v['id']} ({v['help']}) {v['nodes']}" for v in violations(driver)
        ]
    return problems


def wait_for_heading(driver: webdriver.Chrome, text: str) -> None:
    wait = WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: d.find_element(By.TAG_NAME, "h1").text == text)


def play(driver: webdriver.Chrome) -> None:
    """Turn every pair of the memory game, one wrong guess first."""
    deck = json.loads(driver.find_element(By.ID, "deck").get_attribute("textContent") or "[]")
    cards = driver.find_elements(By.CSS_SELECTOR, "#grid button.card")
    first = [i for i, c in enumerate(deck) if c["pair"] == 0]
    other = next(i for i, c in enumerate(deck) if c["pair"] != 0)
    cards[first[0]].click()
    cards[other].click()  # not a pair: both turn back
    status = driver.find_element(By.ID, "status")
    assert status.text.startswith("Ikke et par")
    WebDriverWait(driver, 5).until(lambda d: cards[other].text == "?")
    for pair in sorted({c["pair"] for c in deck}):
        a, b = [i for i, c in enumerate(deck) if c["pair"] == pair]
        cards[a].click()
        cards[b].click()
        if pair == 0:
            assert "Par fundet 1 af 3" in status.text
            assert driver.find_element(By.ID, "found").text == "1"


def test_every_state_of_the_page_is_accessible_at_phone_and_desktop_width(
    site: dict[str, Any], browser: webdriver.Chrome
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    _memory, memory_link = sent(site, "i0")
    reflection, reflection_link = sent(site, "i1")
    film, film_link = sent(site, "i2")
    cancelled, cancelled_link = sent(site, "i1")
    assert call("POST", f"{API}/remote-tasks/{cancelled['id']}/cancel", site["pro_token"]).ok
    resent = call("POST", f"{API}/remote-tasks/{film['id']}/resend", site["pro_token"]).json()
    new_film_link = text_link(record(site["slug"], f"rt-{film['id']}-v2")["text"], "Åbn opgaven")
    assert resent["link_version"] == 2
    base = reflection_link.rsplit("/", 1)[0]
    expired = links.sign(links.Link(site["slug"], reflection["id"], 1, int(time.time()) - 60))
    problems: list[str] = []

    # The memory game: its own instruction once, the score, then the confirmation.
    browser.get(memory_link)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da"
    page = browser.page_source
    assert page.count("Vend to kort ad gangen") == 1  # no generic instruction besides
    assert "Sendt af Per (fagperson)" in browser.find_element(By.CLASS_NAME, "from").text
    logo = browser.find_element(By.CSS_SELECTOR, "header img.logo")  # inline, shown
    assert browser.execute_script("return arguments[0].naturalWidth", logo) == 96
    # The CSP holds: a script the page would add itself is refused, axe's evaluation is not.
    browser.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        "document.body.appendChild(s);"
    )
    assert browser.execute_script("return window.injected === undefined")
    cards = browser.find_elements(By.CSS_SELECTOR, "#grid button.card")
    assert all(c.size["height"] >= 44 and c.size["width"] >= 44 for c in cards)
    problems += check(browser, "memory-game")
    play(browser)
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "submit").is_enabled())
    problems += check(browser, "memory-game-done")
    browser.find_element(By.ID, "submit").click()
    wait_for_heading(browser, "Tak for dit svar")
    summary = browser.find_element(By.CLASS_NAME, "sent").text
    assert "Par fundet\n3 af 3" in summary
    assert "Træk\n4" in summary
    problems += check(browser, "memory-game-sent")

    # The reflection: a refused answer (errors named), then the confirmation of what was sent.
    browser.get(reflection_link)
    assert (
        browser.find_element(By.ID, "privacy-controller").text == f"{site['slug'].upper()} Kommune"
    )
    problems += check(browser, "reflection")
    browser.find_element(By.ID, "a_hvad").send_keys("Fremlæggelser")
    browser.execute_script("document.querySelector('form').noValidate = true")
    browser.find_element(By.ID, "submit").click()
    wait_for_heading(browser, "Mine bekymringer")
    assert "Svaret kunne ikke gemmes" in browser.find_element(By.CLASS_NAME, "error").text
    problems += check(browser, "reflection-invalid")
    browser.find_element(By.ID, "a_hjaelp").send_keys("At tale med mor")
    browser.find_element(By.ID, "submit").click()
    wait_for_heading(browser, "Tak for dit svar")
    summary = browser.find_element(By.CLASS_NAME, "sent").text
    assert "Hvad bekymrer du dig mest om?\nFremlæggelser" in summary
    assert "Hvad hjælper dig?\nAt tale med mor" in summary
    problems += check(browser, "reflection-sent")

    # The film reflection, through its newer link.
    browser.get(new_film_link)
    assert browser.find_elements(By.TAG_NAME, "video")
    problems += check(browser, "film-reflection")

    # Every link that does not open says why and what to do next.
    for state, url, says in (
        ("answered", reflection_link, "allerede besvaret"),
        ("replaced", film_link, "nyere link"),
        ("cancelled", cancelled_link, "trukket tilbage"),
        ("expired", f"{base}/{expired}", "udløbet"),
        ("tampered", reflection_link[:-4] + "abcd", "ikke gyldigt"),
    ):
        browser.get(url)
        assert says in browser.find_element(By.ID, "reason").text, state
        advice = browser.find_element(By.ID, "advice").text
        assert "nyt link" in advice, state
        if state in ("answered", "replaced", "cancelled"):  # the task was read: named
            assert f"Per (fagperson) i {site['slug'].upper()} Kommune" in advice, state
        problems += check(browser, f"refused-{state}")
    assert not problems, "\n".join(problems)
    assert len(list(SHOTS.glob("*.png"))) >= 2 * 11
