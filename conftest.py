import pytest

from tests.factories import CreatorFactory


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
