"""Property-based fuzzing of every API operation against the test stack (schemathesis).

For every public API function and both tenant roles, schemathesis generates requests from
the function's own OpenAPI document (its examples, then random valid and invalid data) and
checks each response: never a server error, always a documented status code, and a body
that matches the documented schema. Bounded per operation so the suite stays fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.deployment import load
from tests.accounts import activate, active_tenant, add_professional

pytestmark = pytest.mark.usefixtures("stack")
EXAMPLES_PER_OPERATION = 20
API_FUNCTIONS = [
    fn.name for fn in load().functions if fn.trigger == "http" and fn.public and fn.api
]


@pytest.fixture(scope="module")
def tokens(owner: str, catalogue: dict[str, str]) -> dict[str, str]:
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    professional = add_professional(created["admin_token"])
    return {"admin": created["admin_token"], "professional": activate(professional["email"])}


@pytest.mark.parametrize("role", ["admin", "professional"])
@pytest.mark.parametrize("function", API_FUNCTIONS)
def test_no_operation_answers_a_server_error_or_off_its_document(
    function: str, role: str, tokens: dict[str, str], capsys: Any
) -> None:
    base = os.environ["TRIVSEL_FUNCTIONS_URL"] + f"/{function}"
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        "--header",
        f"Authorization: Bearer {tokens[role]}",
        "--checks",
        "not_a_server_error,status_code_conformance,response_schema_conformance",
        "--phases",
        "examples,fuzzing",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--workers",
        "2",
        "--no-color",
    ]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    summary = [line for line in ran.stdout.splitlines() if "generated" in line]
    with capsys.disabled():
        print(f"\n  schemathesis {function} as {role}: {' '.join(summary).strip()}")
    assert ran.returncode == 0, ran.stdout[-6000:] + ran.stderr[-2000:]
    assert summary, ran.stdout[-2000:]
