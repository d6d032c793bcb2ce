"""python manage.py import_stats FILE --owner USER [--platform NAME] [--dry-run] [--cumulative]"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from imports.stats import stats_import_file

from ._common import file_check, owner_get, result_report


class Command(BaseCommand):
    help = (
        "Import a platform's daily video statistics export (CSV or XLSX; UTF-8 or GBK; Chinese "
        "or English headers) for one creator. The whole file is checked first: a file with "
        "any problem writes nothing and exits non-zero listing each problem's row and column."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--owner", required=True, help="the creator's username")
        parser.add_argument(
            "--platform",
            help="Douyin, Kuaishou, Bilibili, … (name, slug or 抖音/快手/B站); "
            "default: the file's platform column, its headers, or the shape of its video ids "
            "(BV…/av… Bilibili, 19 digits Douyin, 11 characters YouTube)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and preview only; write nothing"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--cumulative",
            action="store_true",
            help="the file holds lifetime totals, stored as snapshots (default: decided from "
            "the headers, the numbers and the stored history)",
        )
        mode.add_argument(
            "--daily", action="store_true", help="the file holds daily numbers (default: detected)"
        )

    def handle(self, *args, **options) -> None:
        owner = owner_get(options["owner"])
        file = file_check(options["file"])
        cumulative = True if options["cumulative"] else False if options["daily"] else None
        result = stats_import_file(
            owner=owner,
            path=file,
            platform=options["platform"],
            cumulative=cumulative,
            dry_run=options["dry_run"],
            interface="command",
        )
        if result.ok:
            for warning in result.warnings:
                self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        result_report(self, file, result, options["verbosity"])
