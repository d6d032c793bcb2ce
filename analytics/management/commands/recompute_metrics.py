from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from analytics.services import creator_ids_to_recompute, metrics_recompute_owner


class Command(BaseCommand):
    help = "Recompute engagement and quality figures now, for one creator or all of them."

    def add_arguments(self, parser):
        parser.add_argument("--owner", help="Username of the creator; all creators if omitted.")

    def handle(self, *args, owner: str | None, **options):
        if owner:
            try:
                owner_ids = [get_user_model().objects.get(username=owner).id]
            except get_user_model().DoesNotExist:
                raise CommandError(f"--owner: no user named {owner!r}") from None
        else:
            owner_ids = creator_ids_to_recompute()
        for owner_id in owner_ids:
            run = metrics_recompute_owner(owner_id=owner_id, trigger="command")
            if run is None:
                self.stdout.write(f"owner {owner_id}: a recompute is already running, skipped")
            else:
                self.stdout.write(f"owner {owner_id}: {run.rows_written} metric rows written")
