"""What tracking adds to the pages of the apps below it (see ``core.panels``): a video's link
and funnel, a course's funnel, a campaign's post links."""

from __future__ import annotations

from typing import Any

from core.panels import panel

from .selectors import campaign_tracking, course_funnel, video_tracking


@panel("course.detail")
def course_tracking(*, request, course, **kwargs: Any) -> dict[str, Any]:
    return {"funnel": course_funnel(owner=request.user, course_id=course.pk)}


@panel("video.detail")
def video_link(*, owner, video, **kwargs: Any) -> dict[str, Any]:
    return {"tracking": video_tracking(owner=owner, video_id=video.pk)}


@panel("campaign.planner")
def campaign_links(*, request, campaign, **kwargs: Any) -> dict[str, Any]:
    return {"tracking": campaign_tracking(owner=request.user, campaign_id=campaign.pk)}
