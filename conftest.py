import pytest

from tests.factories import CreatorFactory


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Every test starts and ends with empty caches: the shared one (throttle counters, link
    targets) and the redirect's per-process copies of link targets."""
    from django.core.cache import cache

    from tracking.services import targets_local_clear

    cache.clear()
    targets_local_clear()
    yield
    cache.clear()
    targets_local_clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language: a test that activates another (a page in
    Chinese, a task run for a Chinese creator) must not change what the next one reads."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush the database, taking the migration-seeded platforms with it;
    put them back so every test sees the same reference data."""
    marker = request.node.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        from videos.models import Platform
        from videos.platforms import platforms_ensure

        platforms_ensure(Platform)


@pytest.fixture
def creator(db):
    return CreatorFactory(username="alice")


@pytest.fixture
def other_creator(db):
    return CreatorFactory(username="bob")


@pytest.fixture
def creator_client(client, creator):
    client.force_login(creator)
    return client
