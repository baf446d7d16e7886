"""What tests of pages share: how many queries a page asks once warm."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries_for(client, url, params=None) -> int:
    """Queries of a page once its cache is warm (专家库's 专业领域 come from the cache): the
    second of two identical requests, which must answer 200."""
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)
