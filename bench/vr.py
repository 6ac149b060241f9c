"""A VR command to 50 headsets (issue 15): the tablet's command until every listener saw it.

The listeners are the official Firebase JS SDK in Node (emulators/clients/vr_session.mjs:
a tablet and 50 headsets signed in with their own tokens, one Node process, under the real
firestore.rules). Each command goes as a real tablet sends it, POST /vr_api/.../commands
(the server numbers it in a transaction and writes it); each headset's listener on its
commands sees it. The same-run baseline is one raw Firestore write by the tablet's SDK
seen by one headset's listener. Target: p99 to all 50 <= 2x the single-listener p99.
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
    each = [float(v) for command in result["command_ms"] for v in command]
    to_all = [float(max(command)) for command in result["command_ms"]]
    baseline = [float(v) for v in result["baseline_ms"]]
    figures = {
        "each_p50": percentile(each, 0.5),
        "each_p99": percentile(each, 0.99),
        "all_p50": percentile(to_all, 0.5),
        "all_p99": percentile(to_all, 0.99),
        "raw_p50": percentile(baseline, 0.5),
        "raw_p99": percentile(baseline, 0.99),
    }
    heading(f"VR: a command to 50 headsets' listeners ({commands} commands, Firebase JS SDK)")
    print(f"  each headset   p50 {figures['each_p50']:7.1f} ms   p99 {figures['each_p99']:7.1f} ms")
    print(f"  all 50 seen    p50 {figures['all_p50']:7.1f} ms   p99 {figures['all_p99']:7.1f} ms")
    print(f"  raw write, 1   p50 {figures['raw_p50']:7.1f} ms   p99 {figures['raw_p99']:7.1f} ms")
    ratio = figures["all_p99"] / max(figures["raw_p99"], 0.1)
    print(f"  p99 all 50 / p99 raw single listener: {ratio:.2f}x (target <= 2x)", flush=True)
    return figures
