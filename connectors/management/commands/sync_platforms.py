"""Run one sync of platform connections now, whatever the cadence, and print what it fetched."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from connectors.models import PlatformConnection
from connectors.platform_services import platform_connection_sync
from connectors.platforms import PlatformError


class Command(BaseCommand):
    help = "Sync platform connections now (all, or one creator's, or one platform's)."

    def add_arguments(self, parser):
        parser.add_argument("--owner", help="username of the creator")
        parser.add_argument(
            "--platform", choices=PlatformConnection.SLUGS, help="only this platform"
        )

    def handle(self, *args, owner=None, platform=None, **options):
        connections = PlatformConnection.objects.select_related("platform", "owner").exclude(
            status=PlatformConnection.Status.PAUSED
        )
        if owner:
            user = get_user_model().objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"No creator is called {owner!r}.")
            connections = connections.filter(owner=user)
        if platform:
            connections = connections.filter(platform__slug=platform)
        failed = 0
        for connection in connections.order_by("pk"):
            label = f"#{connection.pk} {connection.owner.username} {connection.platform.slug}"
            try:
                outcome = platform_connection_sync(connection=connection, force=True)
            except PlatformError as error:
                failed += 1
                self.stdout.write(f"{label}: failed: {error}")
                continue
            self.stdout.write(
                f"{label}: fetched {outcome.fetched} videos, stored {outcome.snapshots_stored} "
                f"snapshots ({outcome.snapshots_repeated} already stored), created "
                f"{outcome.videos_created} videos, {len(outcome.gone)} gone, "
                f"{outcome.rate_limit_waits} rate-limit waits"
            )
        if not connections.exists():
            self.stdout.write("No platform connection to sync.")
        if failed:
            self.stdout.write(f"{failed} connection(s) failed; see their last error.")
