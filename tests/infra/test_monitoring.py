"""`deploy --dry-run` prints the alert policies and uptime checks deployment.toml declares."""

from __future__ import annotations

import json
import shlex
import tomllib
from typing import Any

import pytest

from infra.deploy import main
from infra.deployment import DESCRIPTION
from shared.observability import metrics


def raw() -> dict[str, Any]:
    with DESCRIPTION.open("rb") as file:
        return tomllib.load(file)


def printed(capsys: pytest.CaptureFixture[str]) -> list[list[str]]:
    """Every gcloud command of the dry run, as argument lists."""
    assert main(["--project", "p1", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    return [shlex.split(part) for line in lines for part in line.split(" || ")]


def created_policies(commands: list[list[str]]) -> dict[str, dict[str, Any]]:
    found = {}
    for args in commands:
        if args[:5] == ["gcloud", "alpha", "monitoring", "policies", "create"]:
            policy = json.loads(args[args.index("--policy") + 1])
            found[policy["displayName"].removeprefix("trivsel: ")] = policy
    return found


def test_every_declared_alert_is_printed_as_a_policy_on_its_metric(
    capsys: pytest.CaptureFixture[str],
) -> None:
    declared = {alert["name"]: alert for alert in raw()["alerts"]}
    policies = created_policies(printed(capsys))

    assert set(policies) == set(declared)
    assert {"error-rate", "delivery-failures", "backup-too-old", "nightly-missing"} <= set(declared)
    for name, alert in declared.items():
        assert alert["metric"] in metrics.ALL  # a name the metrics home defines
        (condition,) = policies[name]["conditions"]
        kind = "conditionAbsent" if alert["aligner"] == "absent" else "conditionThreshold"
        spec = condition[kind]
        wanted = [f'metric.type = "workload.googleapis.com/{alert["metric"]}"']
        wanted += [f'metric.label.{k} = "{v}"' for k, v in sorted(alert.get("labels", {}).items())]
        assert spec["filter"] == " AND ".join(wanted)
        assert spec["duration"] == alert.get("duration", "0s")
        assert spec["aggregations"][0]["alignmentPeriod"] == alert["window"]
        groups = spec["aggregations"][0]["groupByFields"]
        assert groups == [f"metric.label.{g}" for g in alert.get("group_by", [])]
        assert policies[name]["documentation"]["content"] == alert["description"]
        if kind == "conditionThreshold":
            assert spec["thresholdValue"] == alert["threshold"]
            wanted_comparison = {">": "COMPARISON_GT", "<": "COMPARISON_LT"}
            assert spec["comparison"] == wanted_comparison[alert.get("comparison", ">")]
            assert ("denominatorFilter" in spec) == ("ratio_to" in alert)
            if "ratio_to" in alert:  # the denominator: the metric with ratio_to's labels only
                over = [f'metric.type = "workload.googleapis.com/{alert["metric"]}"']
                over += [f'metric.label.{k} = "{v}"' for k, v in sorted(alert["ratio_to"].items())]
                assert spec["denominatorFilter"] == " AND ".join(over)
                assert spec["denominatorAggregations"] == spec["aggregations"]


def test_the_error_rate_is_5xx_requests_over_all_requests_per_function(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (condition,) = created_policies(printed(capsys))["error-rate"]["conditions"]
    spec = condition["conditionThreshold"]
    requests = 'metric.type = "workload.googleapis.com/trivsel.requests"'
    assert spec["filter"] == f'{requests} AND metric.label.status_class = "5xx"'
    assert spec["denominatorFilter"] == requests  # every request, whatever its status
    assert spec["thresholdValue"] == 0.02
    assert spec["comparison"] == "COMPARISON_GT"
    for aggregation in (spec["aggregations"], spec["denominatorAggregations"]):
        assert aggregation[0]["groupByFields"] == ["metric.label.function"]
        assert aggregation[0]["perSeriesAligner"] == "ALIGN_RATE"
        assert aggregation[0]["crossSeriesReducer"] == "REDUCE_SUM"


def test_the_backup_alert_fires_past_26_hours(capsys: pytest.CaptureFixture[str]) -> None:
    (condition,) = created_policies(printed(capsys))["backup-too-old"]["conditions"]
    assert condition["conditionThreshold"]["thresholdValue"] == 26
    assert condition["conditionThreshold"]["comparison"] == "COMPARISON_GT"


def test_every_public_http_function_has_an_uptime_check_of_its_health_route(
    capsys: pytest.CaptureFixture[str],
) -> None:
    public_http = {
        fn["name"]
        for fn in raw()["functions"]
        if fn["trigger"] == "http" and fn.get("public", True)
    }
    checks = {}
    for args in printed(capsys):
        if args[:4] == ["gcloud", "monitoring", "uptime", "create"]:
            checks[args[4]] = args
    pages = {f"trivsel: {page} page" for page in raw()["uptime"]["pages"]}
    assert set(checks) == {f"trivsel: {name}" for name in public_http} | pages
    for name in public_http:
        args = checks[f"trivsel: {name}"]
        assert args[args.index("--path") + 1] == f"/{name}{raw()['uptime']['path']}"
        assert args[args.index("--protocol") + 1] == "https"
        host = args[args.index("--resource-labels") + 1].split(",")[0]
        assert host == f"host={raw()['project']['region']}-p1.cloudfunctions.net"


def test_the_public_status_page_itself_has_an_uptime_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (page,) = raw()["uptime"]["pages"]
    assert page == "status_page"
    assert page in {fn["name"] for fn in raw()["functions"] if fn.get("public", True)}
    (args,) = [
        a
        for a in printed(capsys)
        if a[:5] == ["gcloud", "monitoring", "uptime", "create", "trivsel: status_page page"]
    ]
    assert args[args.index("--path") + 1] == "/status_page/"
