from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.crypto import EncryptedTextField


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (each EncryptedTextField) with the first key of "
        "COURSEREEL_SECRETS_KEYS; afterwards the older keys can be removed from it."
    )

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            names = [
                f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
            ]
            if not names:
                continue
            rows = model._base_manager.all()
            # Read decrypts with whichever key fits, the update encrypts with the first one. Key
            # maintenance, not a domain write: no service, no event, updated_at left alone.
            with transaction.atomic():
                for pk, *values in rows.values_list("pk", *names).iterator():
                    rows.filter(pk=pk).update(**dict(zip(names, values, strict=True)))
                    total += 1
            self.stdout.write(f"{model._meta.label}: {', '.join(names)}")
        self.stdout.write(f"{total} row(s) re-encrypted with the newest key.")
