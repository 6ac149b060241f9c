"""Crash points: where the kill tests stop a functions process dead (issue 19, item 4).

`crash_point("users.create.after_account")` is placed between the writes of a
multi-document operation. It does nothing unless the process was started with
TRIVSEL_CRASH_AT naming that point (comma-separated names): then the process sends
itself SIGKILL there, with no cleanup and no response, as a machine that loses power
would. The variable is honoured only against the emulators; a process that has it
without them (production) refuses to start, so the hook cannot be enabled there.
Unarmed, a crash point costs one truth test of an empty set.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping

VARIABLE = "TRIVSEL_CRASH_AT"
EMULATOR_VARIABLE = "FIRESTORE_EMULATOR_HOST"  # the same test as shared/settings.uses_emulators


class CrashPointsOutsideTests(RuntimeError):
    """TRIVSEL_CRASH_AT is set in a process that does not run against the emulators."""


def armed_points(environ: Mapping[str, str]) -> frozenset[str]:
    """The points named in the environment; refused unless it is an emulator stack's."""
    names = frozenset(n.strip() for n in environ.get(VARIABLE, "").split(",") if n.strip())
    if names and not environ.get(EMULATOR_VARIABLE):
        raise CrashPointsOutsideTests(f"{VARIABLE} is for the kill tests against the emulators")
    return names


_ARMED = armed_points(os.environ)  # read once, when the process starts


def crash_point(name: str) -> None:
    """Die here, at once, if the kill test asked for this point."""
    if _ARMED and name in _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
