"""A VR command to 50 headsets (issue 15): the tablet's command until every listener saw it.

The listeners are the official Firebase JS SDK in Node (emulators/clients/vr_session.mjs:
a tablet and 50 headsets signed in with their own tokens, one Node process, under the real
firestore.rules). Each command goes as a real tablet sends it, POST /vr_api/.../commands
(the server numbers it in a transaction and writes it); each headset's listener on its
commands sees it. The same-run baseline is one raw Firestore write by the tablet's SDK
seen by one headset's listener. Target: p99 to all 50 <= 2x the single-listener p99.

Both are timed the same way, from the write's commit (its `written_at`, the emulator's
server timestamp, on this machine's clock) to each listener's arrival: the command's
fan-out against one write's. The whole path from the tablet's request (HTTP function,
licence read, transaction) is reported beside it, against the raw write's own call.
"""

from __future__ import annotations

import json
import os
import subprocess

from bench.common import heading, owner, percentile
from infra.deployment import ROOT

SCRIPT = ROOT / "emulators" / "clients" / "vr_session.mjs"


def bench_vr(area: str, commands: int) -> dict[str, float]:
    from tests.helpers import PASSWORD
    from tests.vr.support import vr_film, vr_tenant

    org = vr_tenant(owner(), area)
    film = vr_film(owner(), area)
    given = {
        "email": org["pro_email"],
        "password": PASSWORD,
        "client_id": org["client_id"],
        "film_id": film,
        "headsets": 50,
        "commands": commands,
        "mode": "bench",
    }
    done = subprocess.run(
        ["node", str(SCRIPT)],
        env={**os.environ, "VR_INPUT": json.dumps(given)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the VR clients failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["errors"] or result["paired"] != 50:
        raise RuntimeError(f"the VR clients failed: {result['errors']} {result['paired']}")
    figures = {
        **_figures("", result["command_since_write_ms"], result["baseline_since_write_ms"]),
        **_figures("request_", result["command_ms"], result["baseline_ms"]),
        "answered_p50": percentile([float(v) for v in result["answered_ms"]], 0.5),
        "answered_p99": percentile([float(v) for v in result["answered_ms"]], 0.99),
    }
    heading(f"VR: a command to 50 headsets' listeners ({commands} commands, Firebase JS SDK)")
    for label, prefix in (("from the write's commit", ""), ("from the tablet's call", "request_")):
        print(f"  {label}:")
        for name, key in (("each headset", "each"), ("all 50 seen", "all"), ("raw 1", "raw")):
            p50, p99 = figures[f"{prefix}{key}_p50"], figures[f"{prefix}{key}_p99"]
            print(f"    {name:13} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
        ratio = figures[f"{prefix}all_p99"] / max(figures[f"{prefix}raw_p99"], 1.0)
        print(f"    p99 all 50 / p99 raw single listener: {ratio:.2f}x (target <= 2x)")
    print(
        f"  POST .../commands answered p50 {figures['answered_p50']:.1f} ms, "
        f"p99 {figures['answered_p99']:.1f} ms",
        flush=True,
    )
    return figures


def _figures(prefix: str, per_command: list[list[float]], raw: list[float]) -> dict[str, float]:
    each = [float(v) for command in per_command for v in command]
    to_all = [float(max(command)) for command in per_command]
    baseline = [float(v) for v in raw]
    return {
        f"{prefix}each_p50": percentile(each, 0.5),
        f"{prefix}each_p99": percentile(each, 0.99),
        f"{prefix}all_p50": percentile(to_all, 0.5),
        f"{prefix}all_p99": percentile(to_all, 0.99),
        f"{prefix}raw_p50": percentile(baseline, 0.5),
        f"{prefix}raw_p99": percentile(baseline, 0.99),
    }
