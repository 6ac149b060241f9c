"""The owner's command line: back up, list, restore (with a dry run) one tenant.

python -m functions.support.maintenance.backups backup TENANT
python -m functions.support.maintenance.backups list TENANT
python -m functions.support.maintenance.backups restore TENANT STAMP [--dry-run] [--to NEW]
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from functions.support.maintenance.backups.backup import backup_stamps, backup_tenant
from functions.support.maintenance.backups.restore import restore_tenant
from shared.gcp import firestore_client


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup").add_argument("tenant")
    commands.add_parser("list").add_argument("tenant")
    restore = commands.add_parser("restore")
    restore.add_argument("tenant")
    restore.add_argument("stamp", help="a backup's time, as `list` shows it")
    restore.add_argument("--dry-run", action="store_true", help="report, change nothing")
    restore.add_argument("--to", default=None, help="a new tenant id, for inspection")
    args = parser.parse_args(argv)
    console = Console()
    db = firestore_client()
    if args.command == "list":
        for stamp in backup_stamps(args.tenant):
            console.print(stamp)
    elif args.command == "backup":
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
            tasks: dict[str, object] = {}

            def advance(what: str, count: int) -> None:
                if what not in tasks:
                    tasks[what] = bar.add_task(what, total=None)
                bar.advance(tasks[what], count)  # type: ignore[arg-type]

            manifest = backup_tenant(db, args.tenant, progress=advance)
        console.print_json(manifest.model_dump_json())
    else:
        report = restore_tenant(db, args.tenant, args.stamp, target=args.to, dry_run=args.dry_run)
        console.print_json(report.model_dump_json())


if __name__ == "__main__":
    main()
