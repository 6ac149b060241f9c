"""Turn infra/deployment.toml into the gcloud commands that deploy Trivsel.

    python -m infra.deploy --project trivsel-prod --dry-run   # print the script
    python -m infra.deploy --project trivsel-prod             # stage and run it

Each function area is staged as its own source folder (its main.py, the shared
package and the pinned runtime requirements), because a Cloud Function's
source is one folder.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from infra.deployment import ROOT, Deployment, Function, load
from shared.settings import INVOKER_ACCOUNT_ID

STAGING = ROOT / "build" / "deploy"
INVOKER = INVOKER_ACCOUNT_ID
SERVICES = (
    "cloudfunctions",
    "run",
    "cloudbuild",
    "eventarc",
    "pubsub",
    "cloudtasks",
    "cloudscheduler",
    "firestore",
    "storage",
    "identitytoolkit",
    "artifactregistry",
)


def _q(*words: str) -> str:
    return shlex.join(words)


def _function_url(function: str, region: str, project: str) -> str:
    return (
        f"$(gcloud functions describe {function} --gen2 --region {region} --project {project}"
        " --format='value(serviceConfig.uri)')"
    )


def _deploy_function(fn: Function, d: Deployment, project: str, staging: Path) -> list[str]:
    region = d.project.region
    words = [
        "gcloud",
        "functions",
        "deploy",
        fn.name,
        "--gen2",
        "--project",
        project,
        "--region",
        region,
        "--runtime",
        d.project.runtime,
        "--source",
        str(staging / fn.area),
        "--entry-point",
        fn.name,
        "--memory",
        fn.memory,
        "--timeout",
        fn.timeout,
        "--set-env-vars",
        f"GOOGLE_CLOUD_PROJECT={project},TRIVSEL_REGION={region}",
    ]
    if fn.trigger == "http" and fn.public:
        # Callers are authenticated by Firebase ID tokens in our code, not by IAM.
        words += ["--trigger-http", "--allow-unauthenticated"]
    elif fn.trigger == "http":
        words += ["--trigger-http", "--no-allow-unauthenticated"]
    else:
        assert fn.topic is not None
        words += ["--trigger-topic", fn.topic]
        if fn.retry:
            words.append("--retry")
    commands = [_q(*words)]
    if fn.trigger == "http" and not fn.public:
        invoker = f"serviceAccount:{invoker_account(project)}"
        commands.append(
            f"gcloud functions add-invoker-policy-binding {fn.name} --region {region}"
            f" --project {project} --member {invoker}"
        )
    topic = next((t for t in d.topics if t.name == fn.topic), None)
    if topic is not None and topic.dead_letter_topic:
        subscription = (
            f'$(gcloud eventarc triggers describe "$(gcloud functions describe {fn.name} --gen2'
            f" --region {region} --project {project} --format='value(eventTrigger.trigger)')\""
            f" --location {region} --project {project}"
            " --format='value(transport.pubsub.subscription)')"
        )
        commands.append(
            f'gcloud pubsub subscriptions update "{subscription}" --project {project} '
            + _q(
                "--dead-letter-topic",
                topic.dead_letter_topic,
                "--max-delivery-attempts",
                str(topic.max_delivery_attempts),
                "--min-retry-delay",
                topic.min_backoff,
                "--max-retry-delay",
                topic.max_backoff,
            )
        )
    return commands


def invoker_account(project: str) -> str:
    """The service account Cloud Tasks and Cloud Scheduler call internal functions as."""
    return f"{INVOKER}@{project}.iam.gserviceaccount.com"


def commands(d: Deployment, project: str, staging: Path = STAGING) -> list[str]:
    region = d.project.region
    apis = " ".join(f"{s}.googleapis.com" for s in SERVICES)
    out = [
        f"gcloud services enable {apis} --project {project}",
        f"gcloud iam service-accounts create {INVOKER} --project {project}"
        " --display-name 'Trivsel: Cloud Tasks and Scheduler invoker'",
    ]
    out += [
        _q("gcloud", "pubsub", "topics", "create", t.name, "--project", project) for t in d.topics
    ]
    for bucket in d.buckets:
        url = f"gs://{bucket.name(project)}"
        out.append(
            _q(
                "gcloud",
                "storage",
                "buckets",
                "create",
                url,
                "--project",
                project,
                "--location",
                region,
                "--uniform-bucket-level-access",
                "--public-access-prevention",
            )
        )
        if bucket.lifecycle_delete_age_days:
            out.append(
                _q(
                    "gcloud",
                    "storage",
                    "buckets",
                    "update",
                    url,
                    f"--lifecycle-file={staging / f'lifecycle-{bucket.suffix}.json'}",
                )
            )
    for queue in d.queues:
        out.append(
            _q(
                "gcloud",
                "tasks",
                "queues",
                "create",
                queue.name,
                "--project",
                project,
                "--location",
                region,
                "--max-attempts",
                str(queue.max_attempts),
                "--min-backoff",
                queue.min_backoff,
                "--max-backoff",
                queue.max_backoff,
                "--max-dispatches-per-second",
                str(queue.max_dispatches_per_second),
            )
        )
    for fn in d.functions:
        out += _deploy_function(fn, d, project, staging)
    for job in d.schedules:
        uri = _function_url(job.target, region, project) + job.path
        out.append(
            _q(
                "gcloud",
                "scheduler",
                "jobs",
                "create",
                "http",
                job.name,
                "--project",
                project,
                "--location",
                region,
                "--schedule",
                job.cron,
                "--time-zone",
                job.time_zone,
                "--http-method",
                "POST",
                "--description",
                job.description,
            )
            + f' --uri "{uri}"'
            + f" --oidc-service-account-email {invoker_account(project)}"
        )
    out.append(
        _q(
            "npx",
            "--prefix",
            "emulators",
            "firebase",
            "deploy",
            "--only",
            "firestore:rules,firestore:indexes",
            "--project",
            project,
            "--config",
            "firebase.json",
        )
    )
    return out


def runtime_requirements() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return list(tomllib.load(file)["project"]["dependencies"])


def stage(d: Deployment, staging: Path = STAGING) -> None:
    """Write one self-contained source folder per function area, and lifecycle files.

    The folder keeps the repository's package layout (functions/<area>/, shared/) so
    the area's modules import each other as they do locally; a generated main.py at
    its root re-exports the entry points, as Cloud Functions expects.
    """
    shutil.rmtree(staging, ignore_errors=True)
    skip = shutil.ignore_patterns("__pycache__")
    for area in d.areas:
        target = staging / area
        shutil.copytree(ROOT / "functions" / area, target / "functions" / area, ignore=skip)
        shutil.copy(ROOT / "functions" / "__init__.py", target / "functions" / "__init__.py")
        shutil.copytree(ROOT / "shared", target / "shared", ignore=skip)
        entries = sorted(fn.name for fn in d.functions if fn.area == area)
        (target / "main.py").write_text(
            f'"""Entry points of functions/{area}, generated by infra/deploy.py."""\n\n'
            f"from functions.{area}.main import {', '.join(entries)}\n\n"
            f"__all__ = {entries!r}\n"
        )
        (target / "requirements.txt").write_text("\n".join(runtime_requirements()) + "\n")
    for bucket in d.buckets:
        if bucket.lifecycle_delete_age_days:
            rule = {
                "rule": [
                    {
                        "action": {"type": "Delete"},
                        "condition": {"age": bucket.lifecycle_delete_age_days},
                    }
                ]
            }
            (staging / f"lifecycle-{bucket.suffix}.json").write_text(json.dumps(rule))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True, help="the Google Cloud project id")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args(argv)
    deployment = load()
    script = ["set -euo pipefail", *commands(deployment, args.project)]
    if args.dry_run:
        print(f"# stage: one source folder per area in {STAGING}")
        print("\n".join(script))
        return 0
    stage(deployment)
    return subprocess.run(["bash", "-c", "\n".join(script)], cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
