import pytest

from tests.factories import CreatorFactory


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
