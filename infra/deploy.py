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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra import monitoring
from infra.deployment import ROOT, Bucket, Deployment, Function, load

STAGING = ROOT / "build" / "deploy"
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
    "secretmanager",
)


def _ensure(describe: str, create: str) -> str:
    """Create only what is missing, so the script can be run again on a live project."""
    return f"{describe} >/dev/null 2>&1 || {create}"


def _function_url(function: str, region: str, project: str) -> str:
    return (
        f"$(gcloud functions describe {function} --gen2 --region {region} --project {project}"
        " --format='value(serviceConfig.uri)')"
    )


def invoker_account(d: Deployment, project: str) -> str:
    """The service account Cloud Tasks and Cloud Scheduler call internal functions as."""
    return f"{d.project.invoker_account}@{project}.iam.gserviceaccount.com"


def function_url(d: Deployment, project: str) -> Callable[[str], str]:
    """Cloud Functions' own URL of a function (known before it is deployed)."""
    return lambda name: f"https://{d.project.region}-{project}.cloudfunctions.net/{name}/"


def runtime_env(d: Deployment, project: str) -> dict[str, str]:
    return {
        "GOOGLE_CLOUD_PROJECT": project,
        "TRIVSEL_CORS_ORIGINS": ",".join(d.project.cors_origins),
        "TRIVSEL_MAIL_SENDER": d.project.mail_sender,
        "AWS_DEFAULT_REGION": d.project.aws_region,
        **d.resource_env(project, function_url(d, project)),
    }


def _runtime_config(fn: Function, d: Deployment, project: str) -> str:
    env = runtime_env(d, project)
    config = f"--set-env-vars {shlex.quote('^;^' + ';'.join(f'{k}={v}' for k, v in env.items()))}"
    # Secrets come from Secret Manager, never from this repository; each function gets
    # only the ones it names.
    secrets = d.secrets_of(fn)
    if secrets:
        config += " --set-secrets " + ",".join(f"{s.env}={s.name}:latest" for s in secrets)
    return config


def _deploy_function(fn: Function, d: Deployment, project: str, staging: Path) -> list[str]:
    region = d.project.region
    where = f"--project {project} --region {region}"
    deploy = (
        f"gcloud functions deploy {fn.name} --gen2 {where} --runtime {d.project.runtime}"
        f" --source {shlex.quote(str(staging / fn.area))} --entry-point {fn.name}"
        f" --memory {fn.memory} --timeout {fn.timeout} {_runtime_config(fn, d, project)}"
    )
    if fn.trigger == "http" and fn.public:
        # Callers are authenticated by Firebase ID tokens in our code, not by IAM.
        deploy += " --trigger-http --allow-unauthenticated"
    elif fn.trigger == "http":
        deploy += " --trigger-http --no-allow-unauthenticated"
    else:
        deploy += f" --trigger-topic {fn.topic}" + (" --retry" if fn.retry else "")
    commands = [deploy]
    if fn.trigger == "http" and not fn.public:
        commands.append(
            f"gcloud functions add-invoker-policy-binding {fn.name} {where}"
            f" --member serviceAccount:{invoker_account(d, project)}"
        )
    topic = next((t for t in d.topics if t.name == fn.topic), None)
    if topic is not None and topic.dead_letter_topic:
        trigger = (
            f"$(gcloud functions describe {fn.name} --gen2 {where}"
            " --format='value(eventTrigger.trigger)')"
        )
        subscription = (
            f'$(gcloud eventarc triggers describe "{trigger}" --location {region}'
            f" --project {project} --format='value(transport.pubsub.subscription)')"
        )
        commands.append(
            f'gcloud pubsub subscriptions update "{subscription}" --project {project}'
            f" --dead-letter-topic {topic.dead_letter_topic}"
            f" --max-delivery-attempts {topic.max_delivery_attempts}"
            f" --min-retry-delay {topic.min_backoff} --max-retry-delay {topic.max_backoff}"
        )
    return commands


def commands(d: Deployment, project: str, staging: Path = STAGING) -> list[str]:
    region = d.project.region
    apis = " ".join(f"{s}.googleapis.com" for s in SERVICES)
    invoker = invoker_account(d, project)
    where = f"--project {project} --location {region}"
    out = [
        f"gcloud services enable {apis} --project {project}",
        _ensure(
            f"gcloud firestore databases describe --project {project}",
            f"gcloud firestore databases create --project {project}"
            f" --location {d.project.firestore_location}",
        ),
        _ensure(
            f"gcloud iam service-accounts describe {invoker} --project {project}",
            f"gcloud iam service-accounts create {d.project.invoker_account} --project {project}"
            " --display-name 'Trivsel: Cloud Tasks and Scheduler invoker'",
        ),
        # Cloud Tasks mints OIDC tokens as the invoker: the runtime account must act as it.
        f"gcloud iam service-accounts add-iam-policy-binding {invoker} --project {project}"
        f" --member serviceAccount:$(gcloud projects describe {project}"
        " --format='value(projectNumber)')-compute@developer.gserviceaccount.com"
        " --role roles/iam.serviceAccountUser",
    ]
    for topic in d.topics:
        out.append(
            _ensure(
                f"gcloud pubsub topics describe {topic.name} --project {project}",
                f"gcloud pubsub topics create {topic.name} --project {project}"
                # Messages are stored only in the EU region (they hold addresses).
                f" --message-storage-policy-allowed-regions {region}",
            )
        )
    for bucket in d.buckets:
        url = f"gs://{bucket.name(project)}"
        out.append(
            _ensure(
                f"gcloud storage buckets describe {url}",
                f"gcloud storage buckets create {url} --project {project} --location {region}"
                " --uniform-bucket-level-access --public-access-prevention",
            )
        )
        if bucket.versioning:
            out.append(f"gcloud storage buckets update {url} --versioning")
        if _lifecycle_rules(bucket):
            lifecycle = staging / f"lifecycle-{bucket.suffix}.json"
            out.append(f"gcloud storage buckets update {url} --lifecycle-file={lifecycle}")
    for queue in d.queues:
        settings = (
            f"--project {project} --location {region} --max-attempts {queue.max_attempts}"
            f" --min-backoff {queue.min_backoff} --max-backoff {queue.max_backoff}"
            f" --max-dispatches-per-second {queue.max_dispatches_per_second}"
        )
        out.append(
            _ensure(
                f"gcloud tasks queues describe {queue.name} {where}",
                f"gcloud tasks queues create {queue.name} {settings}",
            )
        )
        out.append(f"gcloud tasks queues update {queue.name} {settings}")
    for fn in d.functions:
        out += _deploy_function(fn, d, project, staging)
    for job in d.schedules:
        uri = _function_url(job.target, region, project) + job.path
        options = (
            f"--project {project} --location {region} --schedule {shlex.quote(job.cron)}"
            f" --time-zone {job.time_zone} --http-method POST"
            f' --description {shlex.quote(job.description)} --uri "{uri}"'
            f" --oidc-service-account-email {invoker}"
        )
        out.append(
            _ensure(
                f"gcloud scheduler jobs describe {job.name} {where}",
                f"gcloud scheduler jobs create http {job.name} {options}",
            )
        )
        out.append(f"gcloud scheduler jobs update http {job.name} {options}")
    out.append(
        f"npx --prefix emulators firebase deploy --only firestore:rules,firestore:indexes"
        f" --project {project} --config firebase.json"
    )
    out += monitoring.commands(d, project)  # alert policies and uptime checks
    return out


def runtime_requirements() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return list(tomllib.load(file)["project"]["dependencies"])


def stage(d: Deployment, staging: Path = STAGING) -> None:
    """Write one self-contained source folder per function area, and lifecycle files.

    The folder holds only the area's own package and shared/ (areas never import each
    other: import-linter checks it), in the repository's layout; a generated main.py at
    its root re-exports this area's entry points, as Cloud Functions expects.
    """
    shutil.rmtree(staging, ignore_errors=True)
    skip = shutil.ignore_patterns("__pycache__")
    for area in d.areas:
        target = staging / area
        (target / "functions").mkdir(parents=True)
        shutil.copy(ROOT / "functions" / "__init__.py", target / "functions" / "__init__.py")
        shutil.copytree(ROOT / "functions" / area, target / "functions" / area, ignore=skip)
        shutil.copytree(ROOT / "shared", target / "shared", ignore=skip)
        entries = sorted(fn.name for fn in d.functions if fn.area == area)
        (target / "main.py").write_text(_staged_main(area, entries))
        (target / "requirements.txt").write_text("\n".join(runtime_requirements()) + "\n")
    for bucket in d.buckets:
        if rules := _lifecycle_rules(bucket):
            (staging / f"lifecycle-{bucket.suffix}.json").write_text(json.dumps({"rule": rules}))


def _staged_main(area: str, entries: list[str]) -> str:
    """The root main.py of a staged area: each entry point is looked up in the area's
    main.py on first access (PEP 562), so a function of an area that loads its entry
    points lazily (functions/support/main.py) imports only its own at cold start."""
    return (
        f'"""Entry points of functions/{area}, generated by infra/deploy.py."""\n\n'
        "import importlib\n\n"
        f"__all__ = {entries!r}\n\n\n"
        "def __getattr__(name):\n"
        "    if name not in __all__:\n"
        "        raise AttributeError(name)\n"
        f"    return getattr(importlib.import_module('functions.{area}.main'), name)\n\n\n"
        "def __dir__():\n"
        "    return sorted({*globals(), *__all__})\n"
    )


def _lifecycle_rules(bucket: Bucket) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    if bucket.lifecycle_delete_age_days:
        age = {"age": bucket.lifecycle_delete_age_days}
        rules.append({"action": {"type": "Delete"}, "condition": age})
    if bucket.noncurrent_delete_age_days:
        # Only noncurrent versions: the live object is never touched by this rule.
        noncurrent = {"daysSinceNoncurrentTime": bucket.noncurrent_delete_age_days}
        rules.append({"action": {"type": "Delete"}, "condition": noncurrent | {"isLive": False}})
    return rules


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
