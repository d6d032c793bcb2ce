"""Choosing the course a video sells, from the video page and in bulk from the board."""

import pytest
from django.core.exceptions import ValidationError

from analytics.dashboard import dashboard_data
from tests.factories import CourseFactory, VideoFactory
from videos import services

pytestmark = pytest.mark.django_db


def test_assign_refuses_another_creators_course_or_video(creator, other_creator):
    video = VideoFactory(owner=creator, course=None)
    theirs = CourseFactory(owner=other_creator)
    with pytest.raises(ValidationError) as error:
        services.videos_course_assign(owner=creator, videos=[video], course=theirs)
    assert error.value.message_dict == {"course": [str(services.COURSE_NOT_YOURS)]}
    with pytest.raises(ValidationError):
        services.videos_course_assign(
            owner=other_creator, videos=[video], course=CourseFactory(owner=other_creator)
        )
    video.refresh_from_db()
    assert video.course is None


def test_video_page_assigns_a_course(creator_client, creator):
    video = VideoFactory(owner=creator, course=None)
    course = CourseFactory(owner=creator, title="Python 爬虫")
    page = creator_client.get(f"/videos/{video.id}/").content.decode()
    assert 'data-testid="video-course"' in page and "Python 爬虫" in page
    response = creator_client.post(f"/videos/{video.id}/course/", {"course": course.id})
    assert response.status_code == 302
    assert response["Location"] == f"/videos/{video.id}/#tracking"
    video.refresh_from_db()
    assert video.course == course
    creator_client.post(f"/videos/{video.id}/course/", {"course": ""})
    video.refresh_from_db()
    assert video.course is None


def test_board_filters_no_course_yet_and_assigns_in_bulk(creator_client, creator):
    course = CourseFactory(owner=creator, title="Go")
    done = VideoFactory(owner=creator, course=course, title="Has one")
    first = VideoFactory(owner=creator, course=None, title="Loose one")
    second = VideoFactory(owner=creator, course=None, title="Loose two")
    board = creator_client.get("/videos/", {"course": "none"})
    assert board.context["no_course"] == 2
    shown = {v.pk for column in board.context["columns"] for v in column.videos}
    assert shown == {first.pk, second.pk}
    assert "No course yet (2)" in board.content.decode()
    response = creator_client.post(
        "/videos/course/",
        {"videos": [first.id, second.id], "course": course.id, "next": "/videos/?course=none"},
    )
    assert response.status_code == 302 and response["Location"] == "/videos/?course=none"
    assert set(course.videos.values_list("pk", flat=True)) == {done.pk, first.pk, second.pk}
    assert "2 videos now sell “Go”." in creator_client.get("/videos/").content.decode()


def test_another_creators_video_or_course_ids_are_404(client, creator, other_creator):
    mine = VideoFactory(owner=creator, course=None)
    my_course = CourseFactory(owner=creator)
    their_video = VideoFactory(owner=other_creator, course=None)
    client.force_login(other_creator)
    assert client.post(f"/videos/{mine.id}/course/", {"course": ""}).status_code == 404
    assert (
        client.post(f"/videos/{their_video.id}/course/", {"course": my_course.id}).status_code
        == 404
    )
    assert client.post("/videos/course/", {"videos": [mine.id], "course": ""}).status_code == 404
    assert (
        client.post(
            "/videos/course/", {"videos": [their_video.id], "course": my_course.id}
        ).status_code
        == 404
    )
    mine.refresh_from_db()
    their_video.refresh_from_db()
    assert mine.course is None and their_video.course is None


def test_dashboard_nudges_about_videos_without_a_course(creator):
    VideoFactory(owner=creator, course=None)
    VideoFactory(owner=creator, course=None)
    alerts = dashboard_data(owner=creator).alerts
    nudge = [a for a in alerts if a.link == "/videos/?course=none"]
    assert [a.text for a in nudge] == ["2 videos have no course yet: choose the courses they sell."]
