import pytest


@pytest.fixture
def reviewing(client, reviewer):
    """The test client, signed in as a bureau reviewer."""
    client.force_login(reviewer)
    return client
