"""The command line of the local stack: `python -m emulators up | run -- CMD | logs`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from emulators.logs import follow_hint, log_file, request_entries
from emulators.profiles import PROFILES, Profile
from emulators.services import StackError
from emulators.stack import Stack


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _print_ready(stack: Stack) -> None:
    from emulators.seed import DEMO_TENANT, DEMO_USERS

    p = stack.profile
    print(f"\nTrivsel is ready (profile '{p.name}', project {p.project_id}).\n")
    print("Functions:")
    for fn in stack.deployment.functions:
        if fn.trigger == "pubsub":
            kind = f"Pub/Sub push from '{fn.topic}'"
        else:
            kind = "HTTP" if fn.public else "internal HTTP: Cloud Tasks / Scheduler target"
        print(f"  {fn.name:<26} {p.functions_url}{fn.url_path}  ({kind})")
    for job in stack.deployment.schedules:
        print(
            f"  schedule {job.name}: '{job.cron}' {job.time_zone} -> {job.target}"
            f" (no Scheduler emulator: POST {p.functions_url}/{job.target}/ to run it)"
        )
    status = f"{p.functions_url}/status_page/"
    print(f"\nStatus page: {status} (?lang=en; {status}api/v2/summary.json; {status}history.atom)")
    print(f"API reference: {p.functions_url}/docs/")
    print("\nEmulators:")
    for what, port in p.ports().items():
        if what != "functions" and not what.startswith("firebase-tools"):
            print(f"  {what:<26} http://127.0.0.1:{port}")
    print(f"  sent e-mail and SMS        http://127.0.0.1:{p.moto}/moto-api/data.json")
    print(f"\n{follow_hint(p)}")
    print(f"Metrics (in memory, since the host started): {p.functions_url}/_metrics")
    print(f"\nDemo tenant '{DEMO_TENANT.tenant_id}' ({DEMO_TENANT.display_name}). Logins:")
    for user in DEMO_USERS:
        print(f"  {user.role:<13} {user.email:<32} password: {user.password}")
    print(
        "\nSign in: POST http://127.0.0.1:"
        f"{p.auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any\n"
        "Environment for your own scripts: "
        + " ".join(f"{k}={v}" for k, v in stack.env.items() if k.endswith("_HOST"))
        + "\nPress Ctrl-C to stop everything.",
        flush=True,
    )


def up(profile: Profile) -> int:
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    stack = Stack(profile)
    try:
        print(f"Starting the Trivsel stack (profile '{profile.name}') ...", flush=True)
        stack.start(seed=True)
        _print_ready(stack)
        while True:
            crashed = stack.crashed()
            if crashed is not None:
                print(f"\n{crashed.name} stopped unexpectedly:\n{stack.log_tail(crashed)}")
                return 1
            time.sleep(1)
    except _Stop:
        print("\nStopping ...", flush=True)
        return 0
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        _stop_quietly(stack)


def _stop_quietly(stack: Stack) -> None:
    """Stop everything; a second Ctrl-C must not cut the clean-up short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stack.stop()


def run(profile: Profile, command: list[str]) -> int:
    signal.signal(signal.SIGTERM, _raise_stop)
    stack = Stack(profile)
    try:
        stack.start()
        return subprocess.run(command, env={**os.environ, **stack.env}, check=False).returncode
    except _Stop:
        return 143
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        _stop_quietly(stack)


def show_request(profile: Profile, request_id: str) -> int:
    """Print one request's log lines from the profile's functions log; 1 if none."""
    found = request_entries(log_file(profile), request_id)
    for entry in found:
        print(json.dumps(entry, ensure_ascii=False))
    if not found:
        print(f"no log line of request {request_id} in {log_file(profile)}", file=sys.stderr)
    return 0 if found else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Trivsel's local stack.")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="dev")
    sub = parser.add_subparsers(dest="verb", required=True)
    sub.add_parser("up", help="start everything, seed the demo tenant, wait for Ctrl-C")
    run_parser = sub.add_parser("run", help="start a stack, run a command against it, stop")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    logs_parser = sub.add_parser("logs", help="print one request's log lines")
    logs_parser.add_argument("--request", required=True, help="its request id")
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]
    if args.verb == "up":
        return up(profile)
    if args.verb == "logs":
        return show_request(profile, args.request)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command")
    return run(profile, command)
