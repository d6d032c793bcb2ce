"""Launch campaigns: windows around a launch date, scheduled posts, live sessions, tactics."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import OwnedQuerySet, TimestampedModel

from . import phases


class Phase(models.TextChoices):
    PRELAUNCH = phases.PRELAUNCH, _("Pre-launch")
    LAUNCH = phases.LAUNCH, _("Launch day")
    FOLLOWUP = phases.FOLLOWUP, _("Follow-up")


MAX_WINDOW_DAYS = 60


class Campaign(TimestampedModel):
    OWNER_PATH = "owner"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaigns"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=200)
    launch_date = models.DateField(_("launch date"))
    prelaunch_days = models.PositiveSmallIntegerField(
        _("pre-launch days"), default=7, validators=[MaxValueValidator(MAX_WINDOW_DAYS)]
    )
    followup_days = models.PositiveSmallIntegerField(
        _("follow-up days"), default=7, validators=[MaxValueValidator(MAX_WINDOW_DAYS)]
    )
    platforms = models.ManyToManyField("videos.Platform", related_name="+", blank=True)
    goal = models.CharField(_("goal"), max_length=300, blank=True)
    goal_units = models.PositiveIntegerField(_("goal (units sold)"), null=True, blank=True)
    hashtags = models.CharField(
        _("campaign hashtags"),
        max_length=400,
        blank=True,
        help_text=_("Hashtags/topics every post of the campaign carries."),
    )

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-launch_date"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(prelaunch_days__lte=MAX_WINDOW_DAYS)
                & Q(followup_days__lte=MAX_WINDOW_DAYS),
                name="campaign_windows_at_most_60_days",
            ),
        ]
        indexes = [models.Index(fields=["owner", "launch_date"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.course_id and self.owner_id and self.course.owner_id != self.owner_id:
            raise ValidationError({"course": _("Choose one of your own courses.")})

    def phase_of_day(self, day: date) -> str | None:
        return phases.campaign_phase(
            day,
            launch_date=self.launch_date,
            prelaunch_days=self.prelaunch_days,
            followup_days=self.followup_days,
        )

    def phase_of(self, moment: datetime) -> str | None:
        """Phase of a moment, judged by its date in the project's time zone."""
        return self.phase_of_day(timezone.localdate(moment))

    @property
    def days(self) -> list[date]:
        return phases.campaign_days(
            launch_date=self.launch_date,
            prelaunch_days=self.prelaunch_days,
            followup_days=self.followup_days,
        )


def outside_campaign_message(campaign: Campaign) -> str:
    return _("Pick a day inside the campaign: from %(first)s to %(last)s.") % {
        "first": campaign.days[0],
        "last": campaign.days[-1],
    }


class ScheduledPost(TimestampedModel):
    """A video planned for one platform at one moment; its phase follows from the date."""

    OWNER_PATH = "campaign__owner"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="posts")
    video = models.ForeignKey(
        "videos.Video", on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    platform = models.ForeignKey("videos.Platform", on_delete=models.PROTECT, related_name="+")
    planned_at = models.DateTimeField(_("planned at"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    hashtags = models.CharField(_("hashtags / topics"), max_length=400, blank=True)
    is_suggestion = models.BooleanField(
        _("suggested"),
        default=False,
        help_text=_("Proposed by 'suggest schedule'; the creator accepts or discards it."),
    )

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["planned_at"]
        verbose_name = _("scheduled post")
        verbose_name_plural = _("scheduled posts")
        indexes = [models.Index(fields=["campaign", "planned_at"])]

    def __str__(self) -> str:
        return f"{self.label} @ {timezone.localtime(self.planned_at):%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        """What the post is called on the planner: its title, else its video's."""
        return self.title or (self.video.title if self.video_id else str(_("untitled post")))

    @property
    def phase(self) -> str | None:
        return self.campaign.phase_of(self.planned_at) if self.planned_at else None

    def get_phase_display(self) -> str:
        return Phase(self.phase).label if self.phase else "—"

    def clean(self) -> None:
        errors = {}
        if self.campaign_id and self.planned_at and self.phase is None:
            errors["planned_at"] = outside_campaign_message(self.campaign)
        if self.video_id and self.campaign_id and self.video.owner_id != self.campaign.owner_id:
            errors["video"] = _("Choose one of your own videos.")
        if errors:
            raise ValidationError(errors)


class LiveSession(models.Model):
    OWNER_PATH = "campaign__owner"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="live_sessions")
    platform = models.ForeignKey("videos.Platform", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (min)"), default=60, validators=[MinValueValidator(1)]
    )
    topic = models.CharField(_("topic"), max_length=200, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1), name="live_duration_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} @ {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.campaign_id and self.starts_at:
            campaign = self.campaign
            if campaign.phase_of(self.starts_at) is None:
                raise ValidationError({"starts_at": outside_campaign_message(campaign)})


class InteractionTactic(models.Model):
    """Hashtags and topics to push, and slots reserved for replying to comments."""

    class Kind(models.TextChoices):
        HASHTAG = "hashtag", _("Hashtag")
        TOPIC = "topic", _("Topic")
        COMMENT_REPLY = "comment_reply", _("Comment-reply slot")

    OWNER_PATH = "campaign__owner"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tactics")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    text = models.CharField(_("text"), max_length=300)
    platform = models.ForeignKey(
        "videos.Platform", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (min)"), null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "kind", "starts_at"]
        verbose_name = _("interaction tactic")
        verbose_name_plural = _("interaction tactics")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="comment_reply") | Q(starts_at__isnull=False),
                name="tactic_reply_slot_has_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text}"

    def clean(self) -> None:
        if self.kind == self.Kind.COMMENT_REPLY and not self.starts_at:
            raise ValidationError({"starts_at": _("A comment-reply slot needs a start time.")})
