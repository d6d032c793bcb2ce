"""Import a file in the seed's courses.csv layout; the work is in ``imports.seed_layout``."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from imports.seed_layout import (
    DEFAULT_PLATFORM,
    SeedFileError,
    SeedImportError,
    seed_courses_import,
    seed_file_read,
)


class Command(BaseCommand):
    help = (
        "Import the seed's courses.csv layout (one row per video; video_length in minutes) as "
        "courses, a 'Standard' price tier and videos of one creator. The whole file is checked "
        "first; any problem is reported by row and column and nothing is written. Re-importing "
        "the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV in UTF-8 (with or without BOM) or GB18030.")
        parser.add_argument("--owner", required=True, help="Username of the creator.")
        parser.add_argument(
            "--platform",
            default=DEFAULT_PLATFORM,
            help=f"Platform slug of the imported videos (default {DEFAULT_PLATFORM}).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count, then roll back."
        )

    def handle(self, *args, file: str, owner: str, platform: str, dry_run: bool, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: owner})
        except User.DoesNotExist:
            raise CommandError(f"--owner: no user named {owner!r}") from None
        try:
            seed = seed_file_read(file)
            result = seed_courses_import(
                owner=user, seed=seed, platform_slug=platform, dry_run=dry_run
            )
        except (SeedFileError, SeedImportError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.summary())
