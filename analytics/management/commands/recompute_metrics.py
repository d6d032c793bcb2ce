from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from analytics.services import (
    creator_chunks,
    creator_ids_stale,
    creator_ids_to_recompute,
    metrics_recompute_owners,
)


class Command(BaseCommand):
    help = (
        "Recompute the stored figures now, in this process: of the creators whose figures are "
        "stale (what the hourly run does), of every creator (--full, the nightly run) or of one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", help="Username of the creator.")
        parser.add_argument(
            "--full", action="store_true", help="Every creator, stale or not (the nightly run)."
        )

    def handle(self, *args, owner: str | None, full: bool, **options):
        if owner:
            try:
                owner_ids = [get_user_model().objects.get(username=owner).id]
            except get_user_model().DoesNotExist:
                raise CommandError(f"--owner: no user named {owner!r}") from None
        elif full:
            owner_ids = creator_ids_to_recompute()
        else:
            owner_ids = creator_ids_stale()
        done = set()
        for chunk in creator_chunks(owner_ids):
            for run in metrics_recompute_owners(owner_ids=chunk, trigger="command"):
                done.add(run.owner_id)
                self.stdout.write(f"owner {run.owner_id}: {run.rows_written} rows written")
        for owner_id in sorted(set(owner_ids) - done):
            self.stdout.write(f"owner {owner_id}: a recompute is already running, skipped")
        self.stdout.write(f"{len(done)} of {len(owner_ids)} creators recomputed")
