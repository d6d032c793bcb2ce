"""The public redirect /r/<code>: where it goes, what it counts, and what it never counts."""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from core import codes
from tests.factories import CampaignFactory, CourseFactory, ScheduledPostFactory, VideoFactory
from tracking import clicks, services, visitors
from tracking.models import LinkClick, TrackingLink

BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 aweme_29.1.0 Douyin"
)


@pytest.fixture
def video_link(creator):
    course = CourseFactory(owner=creator, sales_page_url="https://shop.example.com/py?ref=bio")
    video = VideoFactory(owner=creator, course=course)
    return services.link_for_video(owner=creator, video=video)


def click(client, code, *, agent=BROWSER, ip="203.0.113.9", method="get", **headers):
    return getattr(client, method)(f"/r/{code}", HTTP_USER_AGENT=agent, REMOTE_ADDR=ip, **headers)


def test_redirects_to_the_sales_page_with_utm_and_counts_once(client, video_link):
    response = click(client, video_link.code)
    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path) == ("https", "shop.example.com", "/py")
    query = parse_qs(target.query)
    assert query == {
        "ref": ["bio"],
        "utm_source": ["douyin"],
        "utm_medium": ["short_video"],
        "utm_campaign": [video_link.video.course.slug],
        "utm_content": [video_link.code],
    }
    assert LinkClick.objects.filter(link=video_link).count() == 1
    click(client, video_link.code)
    assert LinkClick.objects.filter(link=video_link).count() == 2


def test_click_stores_no_personal_data(client, video_link):
    click(client, video_link.code, ip="198.51.100.23")
    row = LinkClick.objects.values().get()
    stored = " ".join(str(value) for value in row.values())
    assert "198.51.100.23" not in stored and "iPhone" not in stored
    assert len(row["visitor"]) == 16 and int(row["visitor"], 16) >= 0


def test_visitor_hash_is_stable_within_a_day_and_changes_the_next():
    day = date(2026, 11, 28)
    same = visitors.visitor_hash(ip="1.2.3.4", user_agent="UA", day=day)
    assert same == visitors.visitor_hash(ip="1.2.3.4", user_agent="UA", day=day)
    assert same != visitors.visitor_hash(ip="1.2.3.5", user_agent="UA", day=day)
    assert same != visitors.visitor_hash(ip="1.2.3.4", user_agent="UA", day=date(2026, 11, 29))


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
        "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)",
    ],
)
def test_bots_are_redirected_but_not_counted(client, video_link, agent):
    response = click(client, video_link.code, agent=agent)
    assert response.status_code == 302
    assert not LinkClick.objects.exists()


@pytest.mark.parametrize(
    "agent",
    [
        BROWSER,
        "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile "
        "MicroMessenger/8.0.47",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13) Kwai/11.9 BiliApp/7.60",
    ],
)
def test_people_in_app_browsers_are_counted(client, video_link, agent):
    click(client, video_link.code, agent=agent)
    assert LinkClick.objects.count() == 1


def test_head_and_prefetch_are_not_clicks(client, video_link):
    assert click(client, video_link.code, method="head").status_code == 302
    assert click(client, video_link.code, HTTP_SEC_PURPOSE="prefetch").status_code == 302
    assert click(client, video_link.code, HTTP_PURPOSE="prefetch").status_code == 302
    assert not LinkClick.objects.exists()
    assert click(client, video_link.code, method="post").status_code == 405
    assert not LinkClick.objects.exists()


def test_printed_code_in_any_case_with_a_dash_works(client, video_link):
    printed = codes.printable(video_link.code)
    assert printed == f"{video_link.code[:3]}-{video_link.code[3:]}".upper()
    assert click(client, printed).status_code == 302
    assert LinkClick.objects.filter(link=video_link).count() == 1


def test_unknown_switched_off_and_pageless_links_answer_404_and_count_nothing(
    client, creator, video_link
):
    assert click(client, "zzzzzzz").status_code == 404
    services.link_set_active(link=video_link, active=False)
    response = click(client, video_link.code)
    assert response.status_code == 404 and b"switched this link off" in response.content
    pageless = services.link_for_video(
        owner=creator, video=VideoFactory(owner=creator, course=CourseFactory(owner=creator))
    )
    assert click(client, pageless.code).status_code == 404
    assert not LinkClick.objects.exists()


def test_a_click_counts_only_for_the_codes_owner(client, creator, other_creator, video_link):
    other = services.link_for_video(
        owner=other_creator,
        video=VideoFactory(
            owner=other_creator,
            course=CourseFactory(owner=other_creator, sales_page_url="https://b.example.com/"),
        ),
    )
    click(client, video_link.code)
    assert LinkClick.objects.owned_by(creator).count() == 1
    assert LinkClick.objects.owned_by(other_creator).count() == 0
    click(client, other.code)
    assert LinkClick.objects.owned_by(other_creator).count() == 1
    assert LinkClick.objects.owned_by(creator).count() == 1


def test_post_link_carries_the_posts_platform_and_campaign(client, creator):
    campaign = CampaignFactory(
        owner=creator,
        name="Spring Launch 2027",
        course=CourseFactory(owner=creator, sales_page_url="https://shop.example.com/c"),
    )
    post = ScheduledPostFactory(campaign=campaign, platform=_platform("bilibili"))
    link = services.link_for_post(owner=creator, post=post)
    query = parse_qs(urlsplit(click(client, link.code)["Location"]).query)
    assert query["utm_source"] == ["bilibili"]
    assert query["utm_campaign"] == ["spring-launch-2027"]
    assert query["utm_content"] == [link.code]


def test_edits_reach_the_redirect_at_once(client, creator, video_link):
    click(client, video_link.code)  # cached now
    course = video_link.video.course
    course.sales_page_url = "https://new.example.com/course"
    course.save()
    assert click(client, video_link.code)["Location"].startswith("https://new.example.com/course?")
    video = video_link.video
    video.platform = _platform("kuaishou")
    video.save()
    assert "utm_source=kuaishou" in click(client, video_link.code)["Location"]


def test_query_count_cached_and_not(client, video_link, django_assert_num_queries, settings):
    with django_assert_num_queries(2):  # read the target, insert the click
        click(client, video_link.code)
    with django_assert_num_queries(1):  # insert the click
        click(client, video_link.code)
    with django_assert_num_queries(0):  # a bot: nothing at all
        click(client, video_link.code, agent="Googlebot/2.1")
    with django_assert_num_queries(0):  # not the shape of a code: 404 without a look-up
        assert click(client, "wp-login.php").status_code == 404
    settings.TRACKING_CLICK_FLUSH_SECONDS = 60  # as deployed: the batch writer inserts it
    with django_assert_num_queries(0):
        click(client, video_link.code)
    assert clicks.buffer.flush() == 1


def test_the_process_copy_of_a_target_outlives_a_change_made_elsewhere_for_seconds_only(
    client, video_link, settings
):
    settings.TRACKING_TARGET_LOCAL_SECONDS = 1.0
    assert click(client, video_link.code).status_code == 302
    # Another process switches the link off: its shared-cache entry is gone, this process's
    # own copy is not.
    TrackingLink.objects.filter(pk=video_link.pk).update(is_active=False)
    cache.clear()
    assert click(client, video_link.code).status_code == 302
    time.sleep(1.1)
    assert click(client, video_link.code).status_code == 404
    # A change made in this process is seen at once.
    video_link.refresh_from_db()
    services.link_set_active(link=video_link, active=True)
    assert click(client, video_link.code).status_code == 302


def test_links_are_one_per_video_and_per_post(creator, other_creator):
    video = VideoFactory(owner=creator)
    first = services.link_for_video(owner=creator, video=video)
    assert services.link_for_video(owner=creator, video=video) == first
    post = ScheduledPostFactory(campaign=CampaignFactory(owner=creator))
    post_link = services.link_for_post(owner=creator, post=post)
    assert services.link_for_post(owner=creator, post=post) == post_link != first
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.link_for_video(owner=other_creator, video=video)
    with pytest.raises(ValidationError):
        services.link_for_post(owner=other_creator, post=post)
    suggested = ScheduledPostFactory(campaign=post.campaign, is_suggestion=True)
    with pytest.raises(ValidationError):
        services.link_for_post(owner=creator, post=suggested)


def test_links_for_campaign_skips_suggestions_and_existing(creator):
    campaign = CampaignFactory(owner=creator)
    planned = ScheduledPostFactory.create_batch(3, campaign=campaign)
    ScheduledPostFactory(campaign=campaign, is_suggestion=True)
    services.link_for_post(owner=creator, post=planned[0])
    assert services.links_for_campaign(owner=creator, campaign=campaign) == 2
    assert services.links_for_campaign(owner=creator, campaign=campaign) == 0


def _platform(slug):
    from tests.factories import platform

    return platform(slug)
