"""Alert policies and uptime checks from infra/deployment.toml, as gcloud commands.

Each `[[alerts]]` entry becomes one Cloud Monitoring alert policy (JSON, passed to
`gcloud alpha monitoring policies create --policy`: the policies command group has
no GA track in gcloud) on the metric the functions export as
`workload.googleapis.com/<metric>` (shared/observability/metrics.py). Every public
HTTP function gets an uptime check of its health route, and each page of `[uptime] pages`
(the public status page) one of the page itself. Both are created only when
no policy or check of that display name exists, so deploying again changes nothing.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from infra.deployment import Alert, Deployment, Function
from shared.observability.metrics import METRIC_PREFIX

ALIGNERS = {"rate": "ALIGN_RATE", "delta": "ALIGN_DELTA", "max": "ALIGN_MAX"}
REDUCERS = {"rate": "REDUCE_SUM", "delta": "REDUCE_SUM", "max": "REDUCE_MAX"}
COMPARISONS = {">": "COMPARISON_GT", "<": "COMPARISON_LT"}
PREFIX = "trivsel: "


def _filter(metric: str, labels: dict[str, str]) -> str:
    parts = [f'metric.type = "{METRIC_PREFIX}/{metric}"']
    parts += [f'metric.label.{key} = "{value}"' for key, value in sorted(labels.items())]
    return " AND ".join(parts)


def _aggregations(alert: Alert) -> list[dict[str, Any]]:
    aligner = "delta" if alert.aligner == "absent" else alert.aligner
    return [
        {
            "alignmentPeriod": alert.window,
            "perSeriesAligner": ALIGNERS[aligner],
            "crossSeriesReducer": REDUCERS[aligner],
            "groupByFields": [f"metric.label.{field}" for field in alert.group_by],
        }
    ]


def policy(alert: Alert) -> dict[str, Any]:
    """The AlertPolicy resource of one `[[alerts]]` entry."""
    condition: dict[str, Any] = {"displayName": alert.name}
    if alert.aligner == "absent":
        condition["conditionAbsent"] = {
            "filter": _filter(alert.metric, alert.labels),
            "aggregations": _aggregations(alert),
            "duration": alert.duration,
            "trigger": {"count": 1},
        }
    else:
        threshold: dict[str, Any] = {
            "filter": _filter(alert.metric, alert.labels),
            "aggregations": _aggregations(alert),
            "comparison": COMPARISONS[alert.comparison],
            "thresholdValue": alert.threshold,
            "duration": alert.duration,
            "trigger": {"count": 1},
        }
        if alert.ratio_to is not None:
            threshold["denominatorFilter"] = _filter(alert.metric, alert.ratio_to)
            threshold["denominatorAggregations"] = _aggregations(alert)
        condition["conditionThreshold"] = threshold
    return {
        "displayName": PREFIX + alert.name,
        "documentation": {"content": alert.description, "mimeType": "text/markdown"},
        "combiner": "OR",
        "conditions": [condition],
        "userLabels": {"trivsel_alert": alert.name.replace("-", "_")},
    }


def uptime_checked(d: Deployment) -> list[Function]:
    """The functions with an uptime check: every public HTTP function."""
    return [fn for fn in d.functions if fn.trigger == "http" and fn.public]


def commands(d: Deployment, project: str) -> list[str]:
    out = []
    for alert in d.alerts:
        name = PREFIX + alert.name
        out.append(
            f"gcloud alpha monitoring policies list --project {project}"
            f" --filter {shlex.quote(f'displayName={json.dumps(name)}')} --format 'value(name)'"
            f" | grep -q . || gcloud alpha monitoring policies create --project {project}"
            f" --policy {shlex.quote(json.dumps(policy(alert), sort_keys=True))}"
        )
    host = f"{d.project.region}-{project}.cloudfunctions.net"
    check = d.uptime
    checks = [(f"{PREFIX}{fn.name}", f"/{fn.name}{check.path}") for fn in uptime_checked(d)]
    checks += [(f"{PREFIX}{page} page", f"/{page}/") for page in check.pages]
    for name, path in checks:
        out.append(
            f"gcloud monitoring uptime list-configs --project {project}"
            f" --filter {shlex.quote(f'displayName={json.dumps(name)}')} --format 'value(name)'"
            f" | grep -q . || gcloud monitoring uptime create {shlex.quote(name)}"
            f" --project {project} --resource-type uptime-url"
            f" --resource-labels host={host},project_id={project}"
            f" --protocol https --path {path} --request-method get"
            f" --period {check.period_minutes} --timeout {check.timeout.removesuffix('s')}"
            f" --regions {','.join(check.regions)} --status-classes 2xx"
        )
    return out
