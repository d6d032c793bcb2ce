"""python manage.py import_sales FILE --owner USER [--dry-run]"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from imports.sales import sales_import_file

from ._common import file_check, owner_get, result_report


class Command(BaseCommand):
    help = (
        "Import a sales list (CSV or XLSX): time of sale, course (slug or title), quantity, "
        "unit price, and optionally tier, platform, order reference, source video id and "
        "tracking code. A file with any problem writes nothing and exits non-zero."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--owner", required=True, help="the creator's username")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and preview only; write nothing"
        )

    def handle(self, *args, **options) -> None:
        owner = owner_get(options["owner"])
        file = file_check(options["file"])
        result = sales_import_file(owner=owner, path=file, dry_run=options["dry_run"])
        result_report(self, file, result, options["verbosity"])
