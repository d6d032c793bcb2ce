"""Ownership plumbing shared by every app.

Every creator-owned model names the lookup path from itself to its owning user in
``OWNER_PATH`` ("owner", "course__owner", "video__owner", ...) and uses ``OwnedQuerySet``, so
the admin, the pages, the API and the tasks scope rows the same way:
``Model.objects.owned_by(user)``.
"""

from __future__ import annotations

from django.db import models


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
