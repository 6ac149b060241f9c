"""The local stack: every emulator and every function, built from infra/deployment.toml.

    python -m emulators up            # `make up`: start, provision, seed, wait
    python -m emulators run -- CMD    # start a stack, run CMD against it, stop

Every process is started in its own process group and stopped with SIGTERM to that
group (the Java emulators ignore SIGINT when started from a script). Profiles and
their environment are in profiles.py, the processes in services.py, provisioning in
provision.py and the command line in cli.py.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

from emulators.profiles import Profile, stack_env
from emulators.provision import provision
from emulators.services import (
    Service,
    StackError,
    emulator_services,
    functions_service,
    port_free,
)
from infra.deployment import ROOT, Deployment, load


class Stack:
    def __init__(self, profile: Profile, deployment: Deployment | None = None) -> None:
        self.profile = profile
        self.deployment = deployment or load()
        self.env = stack_env(profile)
        self.services: list[Service] = []
        self.pid_file = profile.state_dir / "stack.pid"
        # Process groups of this stack, so a later start can reap a stack that was killed.
        self.groups_file = profile.state_dir / "process-groups"

    # -- starting -------------------------------------------------------------------------

    def _check_not_running(self) -> None:
        if self.pid_file.exists():
            try:
                pid = int(self.pid_file.read_text().strip())
                os.kill(pid, 0)
            except (ValueError, ProcessLookupError, PermissionError):
                self._reap_orphans()  # left by a stack that was killed
            else:
                raise StackError(
                    f"A Trivsel stack (profile '{self.profile.name}') is already running as "
                    f"process {pid}. Stop it first (Ctrl-C in its terminal, or kill {pid})."
                )
        taken = [
            f"{port} ({what})" for what, port in self.profile.ports().items() if not port_free(port)
        ]
        if taken:
            raise StackError(
                "These ports are already in use by another program: "
                + ", ".join(taken)
                + ". Stop that program (another emulator, or an old stack) and try again."
            )

    def _reap_orphans(self) -> None:
        if self.groups_file.exists():
            for line in self.groups_file.read_text().split():
                with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                    os.killpg(int(line), signal.SIGKILL)
        self.groups_file.unlink(missing_ok=True)
        self.pid_file.unlink(missing_ok=True)

    def _spawn(self, service: Service) -> None:
        logs = self.profile.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, **service.env}
        with (logs / f"{service.name}.log").open("wb") as log:
            service.process = subprocess.Popen(
                service.command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.services.append(service)
        with self.groups_file.open("a") as groups:
            groups.write(f"{service.process.pid}\n")

    def _wait_ready(self, services: list[Service], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        pending = list(services)
        while pending:
            for service in list(pending):
                assert service.process is not None
                if service.process.poll() is not None:
                    raise StackError(f"{service.name} exited at start:\n{self.log_tail(service)}")
                if service.ready():
                    pending.remove(service)
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                raise StackError(
                    f"not ready after {timeout:.0f}s: {names}\n"
                    + "\n".join(self.log_tail(s) for s in pending)
                )
            time.sleep(0.1)

    def log_tail(self, service: Service, lines: int = 15) -> str:
        path = self.profile.state_dir / "logs" / f"{service.name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- {path} ---\n{tail}"

    def start(self, *, seed: bool = False) -> None:
        self.profile.state_dir.mkdir(parents=True, exist_ok=True)
        self._check_not_running()
        self.pid_file.write_text(str(os.getpid()))
        try:
            emulators = emulator_services(self.profile, self.deployment)
            for service in emulators:
                self._spawn(service)
            self._wait_ready(emulators)
            provision(self.profile, self.deployment, self.env)
            functions = functions_service(self.profile)
            self._spawn(functions)
            self._wait_ready([functions], timeout=60)
            if seed:
                from emulators.seed import seed_demo

                seed_demo(self.env)
        except BaseException:
            self.stop()
            raise

    # -- stopping -------------------------------------------------------------------------

    def stop(self) -> None:
        for service in reversed(self.services):
            if service.process is not None and service.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for service in reversed(self.services):
            if service.process is None:
                continue
            try:
                service.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
            # Children that outlived their leader (e.g. a JVM under a launcher) go too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(service.process.pid, signal.SIGKILL)
        self.services.clear()
        self.groups_file.unlink(missing_ok=True)
        self.pid_file.unlink(missing_ok=True)

    def crashed(self) -> Service | None:
        for service in self.services:
            if service.process is not None and service.process.poll() is not None:
                return service
        return None
