"""The demo tenant `make up` seeds, through the public HTTP API of the running functions.

The system owner seeds the catalogue and provisions the tenant with its administrator, who
creates the professional; the professional then creates the clients of emulators/demo_data.json,
assigns courses, performs exercises, sends remote tasks (one is answered from the link in the
e-mail moto received, as a contact person would) and plans exercises in the calendar.
Firebase Admin does only what the API cannot: the owner's account and known demo passwords.
Safe to run again on a running stack: what exists is kept, passwords are reset.
"""

from __future__ import annotations

import html
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from emulators.moto_mail import sent_emails
from shared.principal import Role
from shared.support_terms import SUPPORT_TERMS

HERE = Path(__file__).parent
DEMO_DATA: dict[str, Any] = json.loads((HERE / "demo_data.json").read_text(encoding="utf-8"))
DEMO_CATALOGUE = HERE / "demo_catalogue.json"
CATALOGUE_KINDS = ("focus-areas", "exercises", "courses", "documents", "videos")  # refs first
MAIL_TIMEOUT_S = 60.0
LINK = re.compile(r"https?://[^\s\"'<>]+/remote_task_page/[^\s\"'<>]+")
SIGN_IN = "/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any"
T = TypeVar("T")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    display_name: str
    seats: int


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    role: Role
    display_name: str


_TENANT = DEMO_DATA["tenant"]
DEMO_TENANT = DemoTenant(_TENANT["slug"], _TENANT["display_name"], _TENANT["licence"]["seats"])
DEMO_USERS = tuple(
    DemoUser(u["email"], u["password"], Role(u["role"]), u["display_name"])
    for u in DEMO_DATA["users"]
)


class SeedError(RuntimeError):
    """The demo could not be seeded; the message says which step failed."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(f"seeding the demo: {message}")
        self.status = status  # of the HTTP answer that failed


def _request(method: str, url: str, body: Any = None, token: str = "", form: bool = False) -> str:
    """One call; the text of a 2xx answer. The body goes as JSON, or as a browser posts a form."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        kind = "x-www-form-urlencoded" if form else "json"
        headers["Content-Type"] = f"application/{kind}"
        data = (urllib.parse.urlencode(body) if form else json.dumps(body)).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 (loopback)
            return str(reply.read().decode())
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")[:500]
        raise SeedError(f"{method} {url} answered {error.code}: {text}", error.code) from None


@dataclass(frozen=True)
class Api:
    """The functions host, called as one signed-in user."""

    token: str

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        text = _request(method, os.environ["TRIVSEL_FUNCTIONS_URL"] + path, body, self.token)
        return json.loads(text) if text else None


def sign_in(user: DemoUser) -> Api:
    """Sign in over REST against the Auth emulator, as the frontend does."""
    url = f"http://{os.environ['FIREBASE_AUTH_EMULATOR_HOST']}{SIGN_IN}"
    body = {"email": user.email, "password": user.password, "returnSecureToken": True}
    return Api(str(json.loads(_request("POST", url, body=body))["idToken"]))


def wait_for(check: Callable[[], T | None], what: str, timeout: float = MAIL_TIMEOUT_S) -> T:
    deadline = time.monotonic() + timeout
    while (found := check()) is None:
        if time.monotonic() > deadline:
            raise SeedError(f"no {what} after {timeout:.0f} s")
        time.sleep(0.2)
    return found


# -- accounts (Firebase Admin: only what the API cannot do) ------------------------------------


def set_password(user: DemoUser) -> None:
    """A known password (the API mails reset links); the owner's account, which no API creates."""
    from firebase_admin import auth

    from shared.gcp import firebase_app

    app = firebase_app()
    try:
        uid = auth.get_user_by_email(user.email, app=app).uid
    except auth.UserNotFoundError:
        if user.role is not Role.OWNER:
            raise
        uid = auth.create_user(email=user.email, display_name=user.display_name, app=app).uid
    if user.role is Role.OWNER:
        from shared.members import register_staff

        auth.set_custom_user_claims(uid, {"role": Role.OWNER.value}, app=app)
        register_staff(uid, user.email, granted_by="demo seed")
    auth.update_user(uid, password=user.password, app=app)


def _exists_already(call: Callable[[], object]) -> None:
    """Create something unless it is there from an earlier run (409)."""
    try:
        call()
    except SeedError as error:
        if error.status != 409:
            raise


# -- the catalogue and the tenant ----------------------------------------------------------


def seed_catalogue(owner: Api) -> None:
    from shared.gcp import storage_client

    catalogue = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))
    bucket = storage_client().bucket(os.environ["TRIVSEL_UPLOADS_BUCKET"])  # set by the stack
    for name, text in catalogue["document_texts"].items():
        bucket.blob(name).upload_from_string(text.encode(), content_type="text/plain")
    from functions.vr.films import object_name

    for item in catalogue["exercises"].values():
        if item["content"]["kind"] == "vr_film":
            # A few bytes stand in for the supplier's 360-degree film: a signed URL opens it.
            film = bucket.blob(object_name(item["content"]["film_id"]))
            film.upload_from_string(b"demo film", content_type="video/mp4")
    for kind in CATALOGUE_KINDS:
        for item_id, item in catalogue[kind].items():
            owner("PUT", f"/clients_api/catalogue/{kind}/{item_id}", item)


def provision_tenant(owner: Api, admin: DemoUser) -> None:
    tenant, today = DEMO_DATA["tenant"], date.today()
    licence = {
        **tenant["licence"],
        "period_start": today.isoformat(),
        "period_end": (today + timedelta(days=364)).isoformat(),
    }
    # The demo tenant takes Konfront's support terms, so a ticket can be escalated.
    contract = {**tenant["contract"], "support": SUPPORT_TERMS["konfront"].model_dump(mode="json")}
    # The subscription started with the licence's period; the DPA was signed that day.
    subscription = {**contract["subscription"], "start": today.isoformat()}
    body = {
        "slug": tenant["slug"],
        "display_name": tenant["display_name"],
        "licence": licence,
        "contract": {**contract, "subscription": subscription},
        "administrator": {"email": admin.email, "display_name": admin.display_name},
    }
    _exists_already(lambda: owner("POST", "/auth_api/tenants", body))
    # Pending until its DPA is recorded (recording it again only replaces it).
    dpa = {**tenant["dpa"], "signed_on": today.isoformat()}
    owner("POST", f"/auth_api/tenants/{tenant['slug']}/dpa", dpa)


def seed_support(owner: Api, admin: Api, pro: Api, staff: DemoUser) -> None:
    """The supplier's support person (named support lead) and one escalated ticket."""
    from firebase_admin import auth

    from shared.gcp import firebase_app

    body = {"email": staff.email, "display_name": staff.display_name, "role": "support"}
    _exists_already(lambda: owner("POST", "/auth_api/staff", body | {"phone": "+4511223344"}))
    set_password(staff)
    uid = auth.get_user_by_email(staff.email, app=firebase_app()).uid
    owner("PUT", "/support_tickets/desk/lead", {"lead_uid": uid})
    ticket = pro("POST", "/support_tickets/tickets", DEMO_DATA["ticket"]["filed"])
    admin(
        "POST",
        f"/support_tickets/tickets/{ticket['id']}/escalate",
        DEMO_DATA["ticket"]["escalation"],
    )


# -- clients, courses, remote tasks, calendar -------------------------------------------------


def remote_task_links(address: str) -> list[str]:
    """The remote-task links in the e-mails moto received for `address`, oldest first."""
    data = json.loads(_request("GET", os.environ["AWS_ENDPOINT_URL"] + "/moto-api/data.json"))
    mails = sent_emails(data, to=address)
    links = (html.unescape(link) for m in mails for link in LINK.findall(m["body"]))
    return list(dict.fromkeys(links))


def answer_by_link(link: str, form: dict[str, str]) -> None:
    """Open the page behind the link and post its form, as the contact person's browser does."""
    page = _request("GET", link)
    missing = [name for name in form if f'name="{name}"' not in page]
    if '<form method="post">' not in page or missing:
        raise SeedError(f"the page at {link} has no form fields {missing}")
    _request("POST", link, form, form=True)  # the form has no action: it posts to the page itself


def send_remote_task(pro: Api, item: str, task: dict[str, Any]) -> None:
    answer = task.get("answer")
    before = set(remote_task_links(answer["from"])) if answer else set()
    pro("POST", f"/remote_tasks_api{item}/remote-tasks", {})
    if answer is None:
        return
    link = wait_for(
        lambda: next((x for x in remote_task_links(answer["from"]) if x not in before), None),
        f"remote-task e-mail to {answer['from']} at moto",
    )
    answer_by_link(link, answer["form"])


def seed_course(pro: Api, client_path: str, spec: dict[str, Any]) -> None:
    course = pro("POST", f"/clients_api{client_path}/courses", {"course_id": spec["course_id"]})
    items = {
        i["exercise_id"]: f"{client_path}/courses/{course['id']}/items/{i['id']}"
        for i in course["items"]
    }
    for exercise_id, answers in spec.get("perform", {}).items():
        pro("POST", f"/clients_api{items[exercise_id]}/perform", {"answers": answers})
    for task in spec.get("remote_tasks", []):
        send_remote_task(pro, items[task["exercise_id"]], task)
    for exercise_id, days in spec.get("schedule", {}).items():
        planned = date.today() + timedelta(days=days)
        pro("PUT", f"/clients_api{items[exercise_id]}/schedule", {"date": planned.isoformat()})


def seed_client(pro: Api, spec: dict[str, Any]) -> None:
    body = {key: spec[key] for key in ("profile", "contacts", "consent") if key in spec}
    path = "/clients/" + pro("POST", "/clients_api/clients", body)["id"]
    if spec.get("pseudonymise"):
        pro("POST", f"/clients_api{path}/pseudonymise")
    for course in spec.get("courses", []):
        seed_course(pro, path, course)


def seed_status(owner: Api, tenant_id: str) -> None:
    """A past incident with its updates (resolved, with cause and prevention) and a planned
    maintenance of the demo tenant inside its window, on the public status page."""
    spec = DEMO_DATA["status"]
    incidents = owner("GET", "/status_admin/incidents")["incidents"]
    if not any(i["title"]["da"] == spec["incident"]["title"]["da"] for i in incidents):
        first = {k: v for k, v in spec["incident"].items() if k != "updates"}
        expected = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        body = {**first, "tenants": [tenant_id], "expected_resolution_at": expected}
        incident = owner("POST", "/status_admin/incidents", body)
        for update in spec["incident"]["updates"]:
            owner("POST", f"/status_admin/incidents/{incident['id']}/updates", update)
    planned = spec["maintenance"]
    maintenances = owner("GET", "/status_admin/maintenances")["maintenances"]
    if not any(m["title"]["da"] == planned["title"]["da"] for m in maintenances):
        day = datetime.now(COPENHAGEN).date() + timedelta(days=planned["days_ahead"])
        starts = datetime(day.year, day.month, day.day, 1, tzinfo=COPENHAGEN)
        body = {
            **{k: planned[k] for k in ("title", "description", "components")},
            "tenants": [tenant_id],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=planned["hours"])).isoformat(),
        }
        owner("POST", "/status_admin/maintenances", body)


def seed_on_call(owner: Api) -> None:
    """Two support people with phones from the staff register, on the on-call rota."""
    uids = []
    staff = {s["email"]: s["uid"] for s in owner("GET", "/auth_api/staff")["staff"]}
    for person in DEMO_DATA["on_call"]:
        if person["email"] not in staff:
            body = {**person, "role": "support"}
            staff[person["email"]] = owner("POST", "/auth_api/staff", body)["uid"]
        uids.append(staff[person["email"]])
    rota = {"primary_uid": uids[0], "secondary_uid": uids[1]}
    owner("PUT", "/support_incidents/desk/rota", rota)


def seed_wellbeing(pro: Api) -> None:
    """A group of the demo clients with two class checks of five answers each (a result and
    a falling trend to look at), three own WHO-5 checks of the professional and their own
    programme."""
    clients = [c["id"] for c in pro("GET", "/clients_api/clients?limit=25")["clients"]]
    group = pro(
        "POST", "/clients_api/wellbeing/groups", {"name": "Demo-klassen", "client_ids": clients}
    )
    base = f"/clients_api/wellbeing/groups/{group['id']}/checks"
    for level in (3, 2):
        check = pro("POST", base, {"questionnaire_id": "class4"})
        for n, client_id in enumerate(clients):
            answers = [min(4, level + (n + i) % 2) for i in range(4)]
            pro(
                "POST",
                f"{base}/{check['id']}/answers",
                {"client_id": client_id, "answers": answers},
            )
        pro("POST", f"{base}/{check['id']}/close")
    for level in (4, 3, 3):
        pro("POST", "/clients_api/wellbeing/me/checks", {"answers": [level] * 5})
    # The professional's own programme (VoksenRo), one exercise done.
    own = pro("PUT", "/clients_api/wellbeing/me/programme", {"course_id": "godt-i-klassen"})
    pro("POST", f"/clients_api/wellbeing/me/programme/done/{own['items'][0]['exercise_id']}")


def seed_demo(env: dict[str, str]) -> None:
    os.environ.update(env)
    users = {user.role: user for user in DEMO_USERS}
    set_password(users[Role.OWNER])
    owner = sign_in(users[Role.OWNER])
    seed_catalogue(owner)
    seed_on_call(owner)
    provision_tenant(owner, users[Role.ADMIN])
    seed_status(owner, DEMO_TENANT.tenant_id)
    set_password(users[Role.ADMIN])
    admin = sign_in(users[Role.ADMIN])
    pro_user = users[Role.PROFESSIONAL]
    body = {"email": pro_user.email, "display_name": pro_user.display_name, "role": "professional"}
    _exists_already(lambda: admin("POST", "/auth_api/users", body))
    # The privacy notice contact persons are shown: without it no remote task is sent.
    admin("PUT", "/remote_tasks_api/settings/privacy", DEMO_DATA["tenant"]["privacy"])
    set_password(pro_user)
    pro = sign_in(pro_user)
    if pro("GET", "/clients_api/clients?limit=1")["clients"]:
        return  # seeded by an earlier run
    for client in DEMO_DATA["clients"]:
        seed_client(pro, client)
    seed_wellbeing(pro)
    seed_support(owner, admin, pro, users[Role.SUPPORT])
