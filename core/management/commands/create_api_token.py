from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.tokens import api_token_rotate


class Command(BaseCommand):
    help = (
        "Print a new API token for USER (any previous token of that user stops working). "
        "Only its digest is stored: this is the one time the key is shown."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        self.stdout.write(api_token_rotate(user=user).key)
