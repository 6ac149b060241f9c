"""ruff, mypy (strict on shared/, functions/ and infra/) and the import contracts
(import-linter, in pyproject.toml) run as part of the tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.deployment import ROOT

pytestmark = pytest.mark.tooling


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_ruff_is_clean() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_area_importing_another_breaks_the_contracts(tmp_path: Path) -> None:
    """The contracts can fail: a copy of the code where tasks imports clients is refused."""
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "node_modules", "templates")
    for package in ("functions", "shared", "infra", "emulators", "bench"):
        shutil.copytree(ROOT / package, copy / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    leak = copy / "functions" / "tasks" / "leak.py"
    leak.write_text("from functions.clients import clients  # noqa: F401\n")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=copy,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(copy)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "functions.tasks.leak -> functions.clients.clients" in result.stdout
