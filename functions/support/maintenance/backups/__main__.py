"""The owner's command line: back up, list, restore one tenant; see and resume jobs.

python -m functions.support.maintenance.backups backup TENANT
python -m functions.support.maintenance.backups list TENANT
python -m functions.support.maintenance.backups restore TENANT STAMP [--dry-run] [--to NEW]
    [--now --reason TEXT] [--as UID]
python -m functions.support.maintenance.backups jobs [TENANT]
python -m functions.support.maintenance.backups job JOB_ID
python -m functions.support.maintenance.backups resume JOB_ID

A restore is queued for the tenant's maintenance window (the nightly run executes it);
`--now` with a reason runs it at once, as an emergency. `resume` continues a job a crash
or the deadline interrupted, now (a job another runner holds is refused).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups import restore_jobs
from functions.support.maintenance.backups.backup import (
    backup_stamps,
    backup_tenant,
    finish_backup_job,
)
from shared.gcp import firestore_client


def _now() -> datetime:
    return datetime.now(UTC)


class RateColumn(ProgressColumn):
    """Records a second, as the bar has measured them."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f}/s" if task.speed else "", style="progress.data.speed")


def _bar(console: Console) -> tuple[Progress, Callable[[str, int], None]]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn())
    bar = Progress(*columns, TimeElapsedColumn(), console=console)
    tasks: dict[str, object] = {}

    def advance(what: str, count: int) -> None:
        if what not in tasks:
            tasks[what] = bar.add_task(what, total=None)
        bar.advance(tasks[what], count)  # type: ignore[arg-type]

    return bar, advance


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup").add_argument("tenant")
    commands.add_parser("list").add_argument("tenant")
    restore = commands.add_parser("restore")
    restore.add_argument("tenant")
    restore.add_argument("stamp", help="a backup's time, as `list` shows it")
    restore.add_argument("--dry-run", action="store_true", help="report, change nothing")
    restore.add_argument("--to", default=None, help="a new tenant id, for inspection")
    restore.add_argument("--now", action="store_true", help="an emergency: run at once")
    restore.add_argument("--reason", default=None, help="why (required with --now)")
    restore.add_argument("--as", dest="actor", default="owner", help="the owner's uid")
    commands.add_parser("jobs").add_argument("tenant", nargs="?", default=None)
    commands.add_parser("job").add_argument("job_id")
    commands.add_parser("resume").add_argument("job_id")
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    console = Console()
    db = firestore_client()
    if args.command == "list":
        for stamp in backup_stamps(args.tenant):
            console.print(stamp)
    elif args.command == "jobs":
        for job in jobstore.listed(db, args.tenant):
            console.print(f"{job.id}  {job.state.value}  {job.updated_at:%Y-%m-%d %H:%M}")
    elif args.command == "job":
        console.print_json(jobstore.load(db, args.job_id).model_dump_json())
    elif args.command == "backup":
        bar, advance = _bar(console)
        with bar:
            manifest = backup_tenant(db, args.tenant, progress=advance)
        console.print_json(manifest.model_dump_json())
    elif args.command == "resume":
        bar, advance = _bar(console)
        job = jobstore.load(db, args.job_id)
        with bar:
            if job.kind is jobstore.JobKind.BACKUP:
                finish_backup_job(db, job.id, progress=advance, clock=_now)
            else:
                restore_jobs.restore_now(db, job.id, _now, advance)
        console.print_json(jobstore.load(db, args.job_id).model_dump_json())
    elif args.dry_run:
        report = restore_jobs.plan_restore(db, args.tenant, args.stamp, args.to)
        console.print_json(report.model_dump_json())
    else:
        if args.now and not (args.reason or "").strip():
            parser.error("--now needs --reason")
        job = restore_jobs.queue_restore(
            db,
            args.tenant,
            args.stamp,
            target=args.to,
            requested_by=args.actor,
            clock=_now,
            reason=args.reason,
            emergency=args.now,
        )
        if args.now:
            bar, advance = _bar(console)
            with bar:
                job = restore_jobs.restore_now(db, job.id, _now, advance)
        console.print_json(job.model_dump_json())


if __name__ == "__main__":
    main()
