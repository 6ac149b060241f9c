"""The crash-point hook cannot be armed outside the emulators, and unarmed does nothing."""

from __future__ import annotations

import pytest

from shared import faults


def test_crash_points_are_refused_without_the_emulators() -> None:
    with pytest.raises(faults.CrashPointsOutsideTests):
        faults.armed_points({"TRIVSEL_CRASH_AT": "http.after_claim"})


def test_crash_points_are_armed_against_the_emulators() -> None:
    environ = {"TRIVSEL_CRASH_AT": "a, b", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:8080"}
    assert faults.armed_points(environ) == {"a", "b"}


def test_an_unarmed_crash_point_returns() -> None:
    assert faults.armed_points({}) == frozenset()
    faults.crash_point("http.after_claim")  # this process is not armed: it lives on
