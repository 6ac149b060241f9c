"""Test fixtures. Tests that need the stack ask for `stack`; it starts once per session.

The stack runs on the test profile's own ports (emulators/stack.py), so it can
run beside a developer's `make up`. Set TRIVSEL_STACK=external to reuse a stack
whose environment is already exported (as `python -m emulators run` does).
When a session started its own stack, every line the stack's functions host and this
process logged during it is scanned at the end for personal data (tests/logscan.py):
the scan runs after the last test, whatever tests were selected and in what order.
Every test that uses the stack, directly or through another fixture, is marked
`stack`, so `pytest -m "not stack"` (`make test-unit`) runs the pure tests alone.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from emulators.logs import log_file
from emulators.profiles import PROFILES, stack_env
from emulators.stack import Stack
from tests.logscan import scan


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
    own = _log_this_process(profile.state_dir / "logs" / "pytest.log")
    try:
        yield running.env
    finally:
        running.stop()
        logging.getLogger().removeHandler(own)
        own.close()
    offending = scan([log_file(profile), Path(own.baseFilename)])
    assert not offending, "log lines with personal data or tokens:\n" + "\n".join(offending)


def _log_this_process(path: Path) -> logging.FileHandler:
    """This process's own log lines (the shared code tests call in-process), in the
    functions' format, to a file of this session."""
    from shared.observability.logs import formatter

    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(formatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or logging.INFO, logging.INFO))
    return handler
