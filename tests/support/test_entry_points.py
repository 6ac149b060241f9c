"""functions/support/main.py imports each entry point's module on first access, so one
function's cold start does not pay for its seven siblings' code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from infra.deployment import ROOT, load

SUPPORT = [fn.name for fn in load().functions if fn.area == "support"]
# What the status page must not import: the other entry points' heavy code.
SIBLINGS = [
    "functions.support.maintenance.runner",
    "functions.support.maintenance.backups",
    "functions.support.routes",
    "functions.support.exports.routes",
    "functions.support.tickets.routes",
    "functions.support.incidents.routes",
    "functions.support.status.routes",
    "functions.support.breaches.notices",
    "functions.support.sla.alerts",
    "pygal",
    "boto3",
]


def _load_as_cloud_functions_does(target: str) -> list[str]:
    """A fresh interpreter builds `target` with functions-framework (its getattr lookup on
    main.py) and reports which of SIBLINGS it imported."""
    script = (
        "import json, sys, functions_framework\n"
        f"functions_framework.create_app(target={target!r}, "
        f"source={str(ROOT / 'functions' / 'support' / 'main.py')!r}, signature_type='http')\n"
        f"print(json.dumps([m for m in {SIBLINGS!r} if m in sys.modules]))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "GOOGLE_CLOUD_PROJECT": os.environ.get("GOOGLE_CLOUD_PROJECT", "p")},
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    imported: list[str] = json.loads(ran.stdout.strip().splitlines()[-1])
    return imported


def test_the_status_page_loads_none_of_its_siblings_code() -> None:
    assert _load_as_cloud_functions_does("status_page") == []


def test_the_tickets_function_does_not_load_the_nightly_runner_or_the_backups() -> None:
    imported = _load_as_cloud_functions_does("support_tickets")
    assert "functions.support.tickets.routes" in imported  # its own
    unused = {
        "functions.support.maintenance.runner",
        "functions.support.maintenance.backups",
        "functions.support.incidents.routes",
        "functions.support.status.routes",
        "pygal",
        "boto3",
    }
    assert unused.isdisjoint(imported)


def test_every_support_entry_point_resolves_through_main_and_is_listed() -> None:
    from functions.support import main
    from shared.http import entry_points

    assert sorted(entry_points(main)) == sorted(SUPPORT)
    for name in SUPPORT:
        assert callable(getattr(main, name))


def test_an_unknown_name_is_an_attribute_error() -> None:
    from functions.support import main

    with pytest.raises(AttributeError):
        main.nonexistent_function  # noqa: B018
