from django.core.management.base import BaseCommand

from analytics.services import metrics_recompute_owner
from demo.services import demo_seed


class Command(BaseCommand):
    help = "Create the demo creators demo/demo and demo2/demo2 with their data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete and recreate demo rows.")
        parser.add_argument(
            "--no-recompute",
            action="store_true",
            help="Skip computing metrics for the demo creators.",
        )

    def handle(self, *args, reset: bool, no_recompute: bool, **options):
        for username, variant in (("demo", "demo"), ("demo2", "demo2")):
            result = demo_seed(username=username, password=username, variant=variant, reset=reset)
            state = "created" if result["created"] else "already present, left as is"
            self.stdout.write(f"demo creator {username}/{username}: {state}")
            if result["created"] and not no_recompute:
                from django.contrib.auth import get_user_model

                owner = get_user_model().objects.get(username=username)
                metrics_recompute_owner(owner_id=owner.id, trigger="seed_demo")
