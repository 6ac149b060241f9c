"""infra/: the one description of the deployment, its checks and the deploy command."""

from __future__ import annotations

import json
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
    import functions.tasks.main as tasks_main
    from shared.http import http_function

    def extra_function(request: object) -> str:
        return "not described"

    monkeypatch.setattr(
        tasks_main, "extra_function", http_function()(extra_function), raising=False
    )
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
    nightly, windows = deployment.schedules
    created = [line for line in script.splitlines() if "scheduler jobs create" in line]
    assert len(created) == 2
    for job, line in zip((nightly, windows), created, strict=True):
        assert "--oidc-service-account-email trivsel-invoker@p1.iam.gserviceaccount.com" in line
        assert f"gcloud functions describe {job.target} " in line
    assert "--schedule '0 0 * * *' --time-zone Europe/Copenhagen" in created[0]
    # Hourly around midnight, so a tenant window that opens at 23:00 gets its run.
    assert "--schedule '0 22,23,1,2 * * *' --time-zone Europe/Copenhagen" in created[1]
    assert ')/windows"' in created[1]


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
        # The area's own package and shared/, nothing of any other area.
        assert sorted(p.name for p in (source / "functions").iterdir()) == ["__init__.py", area]
        assert (source / "shared" / "http" / "__init__.py").exists()
        # The generated main.py imports every entry point of the area, from the staged copy
        # alone: every module of ours that it loads comes from the staged folder.
        entries = [fn.name for fn in deployment.functions if fn.area == area]
        check = (
            f"import sys; sys.path.insert(0, {str(source)!r}); import main; "
            f"ok = all(callable(getattr(main, n)) for n in {entries!r}); "
            "ours = [m for n, m in sys.modules.items() if n.split('.')[0] in "
            "('functions', 'shared', 'main')]; "
            f"print(ok and all(m.__file__.startswith({str(source)!r}) for m in ours))"
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


def test_a_staged_clients_api_holds_the_clients_area_and_shared_only(tmp_path: Path) -> None:
    stage(load(), tmp_path)
    source = tmp_path / "clients"
    assert sorted(p.name for p in source.iterdir()) == [
        "functions",
        "main.py",
        "requirements.txt",
        "shared",
    ]
    assert sorted(p.name for p in (source / "functions").iterdir()) == ["__init__.py", "clients"]
    assert "clients_api" in (source / "main.py").read_text()


def test_the_combined_openapi_document_covers_every_public_http_route() -> None:
    from infra.deployment import http_apis
    from infra.openapi import combined_document

    apis = http_apis()
    assert {api.name for api in apis} == {
        fn.name for fn in load().functions if fn.trigger == "http" and fn.public and fn.api
    }
    document = combined_document()
    listed = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    expected = {
        (f"/{api.name}{route.openapi_path}", route.method) for api in apis for route in api.routes
    }
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


# -- one description, really --------------------------------------------------------------

EU_REGIONS = {
    "europe-central2",
    "europe-north1",
    "europe-southwest1",
    "europe-west1",
    "europe-west3",
    "europe-west4",
    "europe-west6",  # Zürich: not EU, kept out below
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
} - {"europe-west6"}
EU_FIRESTORE = EU_REGIONS | {"eur3"}
EU_AWS = {"eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2"}


def _literals(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module that is not a docstring."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def literal_resource_names(roots: list[Path]) -> list[str]:
    import re

    names = load().resource_names()
    found = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for line, text in _literals(path):
                for name in names:
                    if re.search(rf"(?<![A-Za-z0-9_-]){re.escape(name)}(?![A-Za-z0-9_-])", text):
                        found.append(f"{path.relative_to(root.parent)}:{line}: {name!r}")
    return found


def test_no_resource_name_of_the_description_is_written_in_code() -> None:
    from infra.deployment import ROOT

    assert literal_resource_names([ROOT / "functions", ROOT / "shared"]) == []


def test_the_literal_check_finds_a_resource_name_written_in_code(tmp_path: Path) -> None:
    module = tmp_path / "functions" / "sneaky.py"
    module.parent.mkdir()
    module.write_text('"""Docstrings may name message-requests."""\nTOPIC = "message-requests"\n')
    assert literal_resource_names([tmp_path / "functions"]) == [
        "functions/sneaky.py:2: 'message-requests'"
    ]


def test_every_binding_the_code_reads_is_declared_and_the_reverse() -> None:
    from shared.settings import RESOURCE_VARIABLES

    deployment = load()
    declared = (
        {t.env for t in deployment.topics}
        | {q.env for q in deployment.queues}
        | {b.env for b in deployment.buckets}
        | {f.url_env for f in deployment.functions}
    ) - {None}
    assert declared == set(RESOURCE_VARIABLES.values())


def test_the_stack_and_the_deployment_hand_the_same_bindings_to_the_code() -> None:
    from emulators.profiles import PROFILES, stack_env
    from infra.deploy import runtime_env
    from shared.settings import RESOURCE_VARIABLES, settings_from_env

    env = runtime_env(load(), "trivsel-prod")
    local = stack_env(PROFILES["test"])
    bound = {name for name in env if name.startswith("TRIVSEL_") and name in local}
    for variable in RESOURCE_VARIABLES.values():
        assert variable in bound
    assert set(settings_from_env(local).bindings) == set(settings_from_env(env).bindings)
    settings = settings_from_env(env)
    assert settings.message_topic == "message-requests"
    assert settings.uploads_bucket == "trivsel-prod-uploads"
    assert settings.queue("reminder_queue").target_url.endswith("/remind_remote_task/")
    assert settings.remote_task_page_url.endswith("/remote_task_page/")
    assert settings.region == load().project.region


def test_a_missing_binding_is_named_when_the_code_needs_it() -> None:
    from shared.settings import ResourceMissing, settings_from_env

    settings = settings_from_env({"GOOGLE_CLOUD_PROJECT": "p"})
    with pytest.raises(ResourceMissing, match="TRIVSEL_MESSAGE_TOPIC"):
        _ = settings.message_topic


def outside_the_eu(deployment: Deployment) -> list[str]:
    """Every location of the deployment (and of its gcloud commands) not in the EU."""
    found = []
    if deployment.project.region not in EU_REGIONS:
        found.append(f"region {deployment.project.region}")
    if deployment.project.firestore_location not in EU_FIRESTORE:
        found.append(f"Firestore {deployment.project.firestore_location}")
    if deployment.project.aws_region not in EU_AWS:
        found.append(f"SES/SNS {deployment.project.aws_region}")
    script = "\n".join(commands(deployment, "p1"))
    for line in script.splitlines():
        for flag in ("--location", "--region", "--message-storage-policy-allowed-regions"):
            if f"{flag} " in line:
                value = line.split(f"{flag} ", 1)[1].split()[0]
                if value not in EU_FIRESTORE:
                    found.append(f"{flag} {value}")
    if script.count("--message-storage-policy-allowed-regions") != len(deployment.topics):
        found.append("a topic without a message storage policy")
    return found


def test_every_location_is_in_the_eu() -> None:
    assert outside_the_eu(load()) == []


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("project", "region", "us-central1"),
        ("project", "firestore_location", "nam5"),
        ("project", "aws_region", "us-east-1"),
    ],
)
def test_a_location_outside_the_eu_is_caught(section: str, key: str, value: str) -> None:
    data = raw()
    data[section][key] = value
    assert outside_the_eu(Deployment.model_validate(data)) != []


def test_each_function_gets_only_the_secrets_it_names() -> None:
    deployment = load()
    script = commands(deployment, "p1")
    for fn in deployment.functions:
        line = next(c for c in script if c.startswith(f"gcloud functions deploy {fn.name} "))
        for secret in deployment.secrets:
            assert (f"{secret.env}={secret.name}:latest" in line) is (secret.name in fn.secrets)
    delivery = next(c for c in script if c.startswith("gcloud functions deploy deliver_message "))
    assert "TRIVSEL_LINK_SECRET" not in delivery
    assert "AWS_SECRET_ACCESS_KEY=" in delivery


def test_an_undeclared_secret_is_refused() -> None:
    data = raw()
    data["functions"][0]["secrets"] = ["no-such-secret"]
    with pytest.raises(ValidationError, match="not declared"):
        Deployment.model_validate(data)


def test_the_combined_openapi_document_is_valid_openapi() -> None:
    from openapi_spec_validator import validate

    from infra.openapi import combined_document

    validate(combined_document())


def test_pubsub_dead_letters_a_message_only_after_delivery_had_every_attempt() -> None:
    """Pub/Sub counts every push; delivery counts only its own attempts. So that a message
    reaches the dead-letter topic only when the code could not even record it (Firestore
    down for every push), the subscription must outlast, at its quickest redelivery, every
    attempt, every bounce while an attempt backs off, and every bounce while a crashed
    attempt's lease runs (README, "Faults of the services")."""
    import math

    from shared.messaging.delivery import backoff
    from shared.settings import settings_from_env

    settings = settings_from_env({"GOOGLE_CLOUD_PROJECT": "p"})  # what production runs with
    [topic] = [t for t in load().topics if t.dead_letter_topic]
    quickest_s = int(topic.min_backoff.removesuffix("s"))
    attempts = settings.message_max_attempts
    backing_off_s = sum(backoff(n, settings).total_seconds() for n in range(1, attempts))
    bounces = math.ceil(backing_off_s / quickest_s)
    held = attempts * math.ceil(settings.message_lease_s / quickest_s)
    assert topic.max_delivery_attempts >= attempts + bounces + held


def test_the_uploads_bucket_keeps_object_versions_for_30_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--project", "trivsel-prod", "--dry-run"]) == 0
    script = capsys.readouterr().out
    assert "gcloud storage buckets update gs://trivsel-prod-uploads --versioning" in script
    assert "gs://trivsel-prod-backups --versioning" not in script
    assert "gs://trivsel-prod-uploads --lifecycle-file=" in script
    stage(load(), tmp_path)
    rules = json.loads((tmp_path / "lifecycle-uploads.json").read_text())["rule"]
    assert rules == [
        {
            "action": {"type": "Delete"},
            "condition": {"daysSinceNoncurrentTime": 30, "isLive": False},
        }
    ]
