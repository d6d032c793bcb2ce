"""Cached redirect targets follow edits to what a link's URL is built from."""

from django.db.models.signals import post_delete, post_save

from campaigns.models import Campaign, ScheduledPost
from courses.models import Course
from videos.models import Video

from . import services
from .models import TrackingLink


def _forget(sender, instance, **kwargs):
    services.targets_forget_related(instance=instance)


def connect() -> None:
    for model in (Course, Video, Campaign, ScheduledPost, TrackingLink):
        post_save.connect(_forget, sender=model, dispatch_uid=f"tracking-forget-{model.__name__}")
    post_delete.connect(_forget, sender=TrackingLink, dispatch_uid="tracking-forget-link-delete")
