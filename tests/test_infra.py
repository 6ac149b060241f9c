"""infra/: the one description of the deployment, its checks and the deploy command."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from infra.deploy import commands, main, stage
from infra.deployment import DESCRIPTION, SIGNATURE, Deployment, functions_in_code, load


def pubsub_function(description: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in description["functions"] if f["trigger"] == "pubsub")


def raw() -> dict[str, Any]:
    with DESCRIPTION.open("rb") as file:
        return tomllib.load(file)


def test_every_function_in_code_is_described_and_the_reverse() -> None:
    in_code = functions_in_code()
    described = {fn.name: SIGNATURE[fn.trigger] for fn in load().functions}
    assert in_code == described


def test_the_check_notices_a_function_missing_from_infra(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions_framework import _function_registry

    import functions.tasks.main as tasks_main

    def extra_function(request: object) -> str:
        return "not described"

    extra_function.__module__ = tasks_main.__name__
    monkeypatch.setattr(tasks_main, "extra_function", extra_function, raising=False)
    monkeypatch.setitem(_function_registry.REGISTRY_MAP, "extra_function", "http")
    described = {fn.name for fn in load().functions}
    assert set(functions_in_code()) - described == {"extra_function"}


def test_dry_run_prints_a_deploy_command_for_every_function(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--project", "trivsel-prod", "--dry-run"]) == 0
    script = capsys.readouterr().out
    deployment = load()
    for fn in deployment.functions:
        line = next(
            line
            for line in script.splitlines()
            if line.startswith(f"gcloud functions deploy {fn.name} ")
        )
        assert f"--entry-point {fn.name}" in line
        assert "--project trivsel-prod" in line
        assert f"--region {deployment.project.region}" in line
        trigger = "--trigger-http" if fn.trigger == "http" else f"--trigger-topic {fn.topic}"
        assert trigger in line
    for topic in deployment.topics:
        assert f"gcloud pubsub topics create {topic.name} " in script
    for bucket in deployment.buckets:
        assert f"gs://trivsel-prod-{bucket.suffix}" in script
    for queue in deployment.queues:
        assert f"gcloud tasks queues create {queue.name} " in script
    for job in deployment.schedules:
        assert f"--time-zone {job.time_zone}" in script


def test_internal_functions_are_private_and_scheduled_with_the_invoker_account() -> None:
    deployment = load()
    script = "\n".join(commands(deployment, "p1"))
    for fn in deployment.functions:
        deploy = next(
            line
            for line in script.splitlines()
            if line.startswith(f"gcloud functions deploy {fn.name} ")
        )
        if fn.trigger == "http" and not fn.public:
            assert "--no-allow-unauthenticated" in deploy
            assert f"gcloud functions add-invoker-policy-binding {fn.name} " in script
        elif fn.trigger == "http":
            assert "--allow-unauthenticated" in deploy
    [job] = deployment.schedules
    line = next(line for line in script.splitlines() if "scheduler jobs create" in line)
    assert "--schedule '0 0 * * *' --time-zone Europe/Copenhagen" in line
    assert "--oidc-service-account-email trivsel-invoker@p1.iam.gserviceaccount.com" in line
    assert f"gcloud functions describe {job.target} " in line


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["functions"].append(dict(d["functions"][0])), "unique"),
        (lambda d: pubsub_function(d).update(topic="nowhere"), "not declared"),
        (lambda d: d["functions"][0].update(topic="message-requests"), "exactly for pubsub"),
        (
            lambda d: d.update(queues=[{"name": "q-1", "target": "deliver_message"}]),
            "not an internal",
        ),
        (
            lambda d: d.update(queues=[{"name": "q-1", "target": "auth_api"}]),
            "not an internal",
        ),
        (
            lambda d: d.update(
                schedules=[
                    {
                        "name": "n-1",
                        "cron": "0 0 * * *",
                        "time_zone": "Europe/Kobenhavn",
                        "target": "auth_api",
                        "description": "x",
                    }
                ]
            ),
            "unknown time zone",
        ),
        (lambda d: d["functions"][0].update(name="Bad-Name"), "pattern"),
    ],
)
def test_an_inconsistent_description_is_refused(change: object, message: str) -> None:
    data = raw()
    change(data)  # type: ignore[operator]
    with pytest.raises(ValidationError, match=message):
        Deployment.model_validate(data)


def test_staging_makes_one_self_contained_source_per_area(tmp_path: Path) -> None:
    deployment = load()
    stage(deployment, tmp_path)
    for area in deployment.areas:
        source = tmp_path / area
        assert (source / "functions" / area / "main.py").exists()
        assert (source / "shared" / "http.py").exists()
        # The generated main.py imports every entry point of the area, from the staged copy.
        entries = [fn.name for fn in deployment.functions if fn.area == area]
        check = (
            f"import sys; sys.path.insert(0, {str(source)!r}); import main, shared; "
            f"print(all(callable(getattr(main, n)) for n in {entries!r}) and "
            f"main.__file__.startswith({str(source)!r}) and "
            f"shared.__file__.startswith({str(source)!r}))"
        )
        ran = subprocess.run(
            [sys.executable, "-c", check],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "GOOGLE_CLOUD_PROJECT": "p"},
            check=False,
        )
        assert ran.stdout.strip() == "True", ran.stderr
        requirements = (source / "requirements.txt").read_text()
        assert "functions-framework==" in requirements
        assert "pytest" not in requirements
    assert (tmp_path / "lifecycle-backups.json").read_text().count('"age": 30') == 1


def test_the_combined_openapi_document_covers_every_public_http_route() -> None:
    from infra.deployment import http_apis
    from shared.openapi import openapi_document

    apis = http_apis()
    assert {api.name for api in apis} == {
        fn.name for fn in load().functions if fn.trigger == "http" and fn.public and fn.api
    }
    document = openapi_document(apis, prefixed=True).root
    listed = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    expected = {(f"/{api.name}{route.path}", route.method) for api in apis for route in api.routes}
    assert listed == expected
    refs = {v for v in _values(document) if isinstance(v, str) and v.startswith("#/components/")}
    for ref in refs:
        assert ref.rsplit("/", 1)[1] in document["components"]["schemas"], ref


def _values(node: object) -> list[object]:
    if isinstance(node, dict):
        return [v for child in node.values() for v in [child, *_values(child)]]
    if isinstance(node, list):
        return [v for child in node for v in [child, *_values(child)]]
    return []
