"""What the import commands share: finding the creator and printing a result."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from imports.results import ImportResult


def owner_get(username: str):
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise CommandError(f'no user "{username}"') from None


def file_check(path: str) -> Path:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file")
    return file


def result_report(command: BaseCommand, file: Path, result: ImportResult, verbosity: int) -> None:
    """Print the outcome; a refused file raises CommandError (exit status 1) with its errors."""
    if verbosity >= 2 or (result.dry_run and verbosity >= 1):
        command.stdout.write("Columns:")
        for item in result.column_mapping:
            target = item["field"] or "(ignored)"
            command.stdout.write(f'  "{item["column"]}" → {target}')
        if result.preview:
            command.stdout.write("First rows as understood:")
            for row in result.preview:
                values = ", ".join(f"{k}={v}" for k, v in row.items() if k != "row")
                command.stdout.write(f"  row {row['row']}: {values}")
    if not result.ok:
        lines = [f"{file.name}: refused, nothing was written ({result.error_count} problem(s)):"]
        lines += [f"  {line}" for line in result.error_lines()]
        raise CommandError("\n".join(lines))
    for note in result.notes:
        command.stdout.write(f"note: {note}")
    prefix = "dry run, nothing written: " if result.dry_run else ""
    command.stdout.write(command.style.SUCCESS(f"{file.name}: {prefix}{result.summary()}"))
