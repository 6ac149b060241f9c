"""Test fixtures. Tests that need the stack ask for `stack`; it starts once per session.

The stack runs on the test profile's own ports (emulators/stack.py), so it can
run beside a developer's `make up`. Set TRIVSEL_STACK=external to reuse a stack
whose environment is already exported (as `python -m emulators.stack run` does).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

from emulators.stack import PROFILES, Stack, stack_env


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


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
