"""Test fixtures. Tests that need the stack ask for `stack`; it starts once per session.

The stack runs on the test profile's own ports (emulators/stack.py), so it can
run beside a developer's `make up`. Set TRIVSEL_STACK=external to reuse a stack
whose environment is already exported (as `python -m emulators run` does).
Every test that uses the stack, directly or through another fixture, is marked
`stack`, so `pytest -m "not stack"` (`make test-unit`) runs the pure tests alone.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from emulators.profiles import PROFILES, stack_env
from emulators.stack import Stack


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.stack)


@pytest.fixture(scope="module")
def owner(stack: dict[str, str]) -> str:
    """An ID token of the supplier's system owner."""
    from tests.accounts import owner_token

    return owner_token()


@pytest.fixture
def tenant(owner: str) -> dict[str, Any]:
    """A fresh tenant (2 seats) with an active administrator: see tests/accounts.py."""
    from tests.accounts import active_tenant

    return active_tenant(owner)


@pytest.fixture(scope="module")
def catalogue(owner: str) -> dict[str, str]:
    """A small catalogue of the module's own: a licensed area, and one not bought."""
    from tests.content import make_catalogue

    return make_catalogue(owner)


@pytest.fixture
def org(owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    from tests.accounts import activate, active_tenant, add_professional

    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    pro = add_professional(created["admin_token"])
    return {**created, "pro": pro, "pro_token": activate(pro["email"])}


@pytest.fixture(scope="session")
def stack() -> Iterator[dict[str, str]]:
    profile = PROFILES["test"]
    if os.environ.get("TRIVSEL_STACK") == "external":
        yield stack_env(profile)
        return
    running = Stack(profile)
    # A CI time-out sends SIGTERM: turn it into an exception so the stack is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    running.start()
    os.environ.update(running.env)
    try:
        yield running.env
    finally:
        running.stop()
