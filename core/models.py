"""Ownership plumbing shared by every app.

Every creator-owned model names the lookup path from itself to its owning user in
``OWNER_PATH`` ("owner", "course__owner", "video__owner", ...) and uses ``OwnedQuerySet``, so
the admin, the pages, the API and the tasks scope rows the same way:
``Model.objects.owned_by(user)``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OwnedQuerySet(models.QuerySet):
    def owned_by(self, user) -> OwnedQuerySet:
        """Rows that belong to ``user``; superusers are not special here (admin decides that)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(**{self.model.OWNER_PATH: user})


def owner_path(model) -> str | None:
    """The lookup from ``model`` to its owner, or None for shared reference data."""
    return getattr(model, "OWNER_PATH", None)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ApiToken(models.Model):
    """A creator's API token, stored as its SHA-256 digest: the key itself is shown once, when
    it is issued, and cannot be read back from the database. Keys are 256 random bits, so a
    fast hash suffices (nothing to brute-force); ``prefix`` lets a creator recognise theirs.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_token",
        verbose_name=_("user"),
    )
    key_hash = models.CharField(_("key digest"), max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=8)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
