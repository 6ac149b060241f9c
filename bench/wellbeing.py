"""Well-being and usage statistics (issue 17), in process with the admin SDK against the
stack's emulator: a group's trend over 30 checks of 30 clients vs reading each check's
answers one by one (the raw baseline); the nightly usage count of a tenant with 10,000
events, first night and an incremental night of 100 more, vs raw aggregation queries (one
count() per measure) in the same run. Round trips are counted by hand from the code."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from google.cloud.firestore_v1.base_query import FieldFilter

from bench import common
from functions.clients.wellbeing import store
from functions.support.usage.counting import ACTIONS
from functions.support.usage.job import count_page
from shared.events import EVENTS, new_event
from shared.gcp import firestore_client
from shared.principal import Principal, Role
from shared.tenancy import TenantData
from shared.wellbeing import ANSWERS, CHECKS, GROUPS, MEMBERS

CHECKS_N, CLIENTS_N, EVENTS_N = 30, 30, 10_000


def _seed_group(data: TenantData, uid: str) -> str:
    db = data.db
    group = data.collection(GROUPS).document()
    batch = db.batch()
    batch.set(group, {"name": "bench", "owner_uid": uid, "shared_with": []})
    for c in range(CLIENTS_N):
        batch.set(
            data.document(MEMBERS, f"{group.id}_c{c}"), {"group_id": group.id, "client_id": f"c{c}"}
        )
    batch.commit()
    start = datetime.now(UTC) - timedelta(days=14 * CHECKS_N)
    for k in range(CHECKS_N):
        batch = db.batch()
        check = data.collection(CHECKS).document()
        opened = start + timedelta(days=14 * k)
        closed = opened + timedelta(hours=1)
        doc = {"group_id": group.id, "questionnaire_id": "who5", "opened_at": opened}
        batch.set(check, doc | {"closed_at": closed})
        sets = sorted(
            ",".join(f"{(c + k + i) % 6:02d}" for i in range(5)) for c in range(CLIENTS_N)
        )
        batch.set(data.document(ANSWERS, check.id), {"group_id": group.id, "sets": sets})
        batch.commit()
    return str(group.id)


def _raw_trend(data: TenantData, group_id: str) -> list[float]:
    checks = data.collection(CHECKS).where(filter=FieldFilter("group_id", "==", group_id)).get()
    means = []
    for check in checks:
        sets = (data.document(ANSWERS, check.id).get().to_dict() or {})["sets"]
        scores = [sum(int(a) for a in s.split(",")) * 4 for s in sets]
        means.append(sum(scores) / len(scores))
    return means


def bench_wellbeing() -> None:
    tenant = common.tenant([])
    data = TenantData(firestore_client(), tenant.tenant_id)
    me = Principal(uid=tenant.uid, role=Role.ADMIN, tenant_id=tenant.tenant_id)
    group_id = _seed_group(data, tenant.uid)
    ours, raw = [], []
    for _ in range(5):
        ours.append(common.timed(lambda: store.group_trend(me, data, group_id, "da")))
        raw.append(common.timed(lambda: _raw_trend(data, group_id)))
    common.heading(f"Well-being: group trend over {CHECKS_N} checks of {CLIENTS_N} clients")
    print(
        f"  trend {common.ms(common.median(ours))} (5 round trips: group, members, checks, "
        f"one get_all of answers, tenant settings) vs raw {common.ms(common.median(raw))} "
        f"({CHECKS_N + 1} round trips): ratio {common.median(ours) / common.median(raw):.2f}"
    )

    seeding = time.perf_counter()
    actions = list(ACTIONS)
    at = datetime.now(UTC) - timedelta(hours=1)
    for offset in range(0, EVENTS_N, 400):
        batch = data.db.batch()
        for n in range(offset, min(offset + 400, EVENTS_N)):
            ref, event = new_event(
                data,
                actor=f"u{n % 40}",
                action=actions[n % len(actions)],
                subject="x",
                client_id=f"c{n % 300}",
            )
            event["at"] = at + timedelta(microseconds=n)
            batch.set(ref, event)
        batch.commit()
    print(f"  (seeded {EVENTS_N:,} events in {time.perf_counter() - seeding:.0f} s)")
    now = datetime.now(UTC)
    pages = 0

    def night() -> None:
        nonlocal pages
        while count_page(data, now):
            pages += 1

    first = common.timed(night)
    first_pages = pages
    batch = data.db.batch()
    for n in range(100):
        ref, event = new_event(data, actor="u1", action="exercise.perform", subject="x")
        event["at"] = now + timedelta(microseconds=n)
        batch.set(ref, event)
    batch.commit()
    later = datetime.now(UTC) + timedelta(seconds=1)
    pages = 0

    def next_night() -> None:
        nonlocal pages
        while count_page(data, later):
            pages += 1

    second = common.timed(next_night)
    events = data.collection(EVENTS)

    def raw_counts() -> None:
        for action in actions:
            query = events.where(filter=FieldFilter("action", "==", action)).count()
            query.get()  # type: ignore[call-arg]

    baseline = common.timed(raw_counts)
    common.heading(f"Usage statistics: nightly count of a tenant with {EVENTS_N:,} events")
    print(
        f"  first night {common.ms(first)} ({first_pages} pages, ~{3 * first_pages + 1} round "
        f"trips); next night of 100 new events {common.ms(second)} ({pages} page(s)) vs raw "
        f"aggregation queries, one count() per measure, no distinct users "
        f"{common.ms(baseline)} ({len(actions)} round trips): incremental/raw "
        f"{second / baseline:.2f}, first/raw {first / baseline:.2f}"
    )
