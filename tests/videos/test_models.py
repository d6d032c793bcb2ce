from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from tests.factories import CourseFactory, VideoDailyStatFactory, VideoFactory
from videos.models import Platform, VideoDailyStat

pytestmark = pytest.mark.django_db


def test_six_platforms_are_seeded_by_migration():
    names = set(Platform.objects.values_list("name", flat=True))
    assert names == {"Douyin", "Kuaishou", "Bilibili", "Xigua", "WeChat Channels", "YouTube Shorts"}
    for p in Platform.objects.all():
        assert 0 <= p.commission_rate <= 1


def test_duplicate_daily_stat_for_same_video_and_date_is_refused():
    stat = VideoDailyStatFactory(date=date(2026, 3, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        VideoDailyStat.objects.create(video=stat.video, date=date(2026, 3, 1), views=5)
    assert VideoDailyStat.objects.filter(video=stat.video).count() == 1


def test_same_date_for_another_video_is_fine():
    stat = VideoDailyStatFactory(date=date(2026, 3, 1))
    VideoDailyStatFactory(date=date(2026, 3, 1), video=VideoFactory(owner=stat.video.owner))
    assert VideoDailyStat.objects.filter(date=date(2026, 3, 1)).count() == 2


@pytest.mark.parametrize("column", VideoDailyStat.COUNT_FIELDS)
def test_negative_counts_are_refused_by_the_database(column):
    """Bypass the ORM's validation: the CHECK constraint itself must refuse the row."""
    video = VideoFactory()
    table = VideoDailyStat._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        columns = ", ".join(VideoDailyStat.COUNT_FIELDS)
        values = ", ".join("-1" if name == column else "0" for name in VideoDailyStat.COUNT_FIELDS)
        cursor.execute(
            f"INSERT INTO {table} (video_id, date, {columns}) VALUES (%s, %s, {values})",
            [video.id, "2026-03-01"],
        )
    assert not VideoDailyStat.objects.filter(video=video).exists()


def test_negative_count_fails_model_validation_with_the_field_named():
    stat = VideoDailyStat(video=VideoFactory(), date=date(2026, 3, 1), views=-3)
    with pytest.raises(ValidationError) as excinfo:
        stat.full_clean()
    assert "views" in excinfo.value.message_dict


def test_platform_video_id_is_unique_per_creator_and_platform():
    video = VideoFactory(platform_video_id="abc")
    with pytest.raises(IntegrityError), transaction.atomic():
        VideoFactory(owner=video.owner, platform=video.platform, platform_video_id="abc")
    # Another creator may have the same platform id (ids are per account on the platform).
    VideoFactory(platform=video.platform, platform_video_id="abc")


def test_blank_platform_ids_do_not_collide():
    video = VideoFactory(platform_video_id="")
    VideoFactory(owner=video.owner, platform=video.platform, platform_video_id="")


def test_video_cannot_point_at_another_creators_course():
    video = VideoFactory.build(owner=VideoFactory().owner, course=CourseFactory())
    video.platform = Platform.objects.first()
    with pytest.raises(ValidationError) as excinfo:
        video.full_clean()
    assert "course" in excinfo.value.message_dict


@pytest.mark.parametrize("field", ["production_level", "usefulness"])
def test_quality_inputs_are_one_to_five_in_the_database(field):
    with pytest.raises(IntegrityError), transaction.atomic():
        VideoFactory(**{field: 6})


def test_length_in_minutes_and_hashtags():
    video = VideoFactory.build(length_seconds=90, hashtags="#python, #面试  #go")
    assert video.length_minutes == 1.5
    assert video.hashtag_list == ["#python", "#面试", "#go"]
