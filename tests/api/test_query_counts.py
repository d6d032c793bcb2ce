"""Every list endpoint runs the same number of queries for 3 rows as for 25.

The pins count: 1 token lookup (with its user; the fixtures' tokens were last used just now, so
their last-use stamp, written at most every few minutes, is not due), 1 page count (not for the
cursor-paginated daily statistics), 1 page of rows, and one query per prefetched relation. A
list the schema documents that is missing here fails, so a new list gets its pin.
"""

from __future__ import annotations

import pytest

from .makers import list_row
from .schema import label, operations, view_action, view_model

pytestmark = pytest.mark.django_db

TOKEN, COUNT, PAGE = 1, 1, 1
EXPECTED_QUERIES = {
    "/api/v1/campaigns/": TOKEN + COUNT + PAGE + 1,  # + platforms
    "/api/v1/competitor-prices/": TOKEN + COUNT + PAGE,
    "/api/v1/courses/": TOKEN + COUNT + PAGE,
    "/api/v1/daily-stats/": TOKEN + PAGE,  # cursor pagination counts nothing
    "/api/v1/discounts/": TOKEN + COUNT + PAGE,
    "/api/v1/engagement-metrics/": TOKEN + COUNT + PAGE,
    "/api/v1/forecasts/": TOKEN + COUNT + PAGE + 1,  # + points
    "/api/v1/funnel/": TOKEN + COUNT + PAGE,
    "/api/v1/import-jobs/": TOKEN + COUNT + PAGE,
    "/api/v1/interaction-tactics/": TOKEN + COUNT + PAGE,
    "/api/v1/live-sessions/": TOKEN + COUNT + PAGE,
    "/api/v1/platform-connections/": TOKEN + COUNT + PAGE,  # platform joined
    "/api/v1/platform-rankings/": TOKEN + COUNT + PAGE,  # platform joined
    "/api/v1/platforms/": TOKEN + COUNT + PAGE,
    "/api/v1/price-tiers/": TOKEN + COUNT + PAGE,
    "/api/v1/recompute-runs/": TOKEN + COUNT + PAGE,
    "/api/v1/sales-connections/": TOKEN + COUNT + PAGE,
    "/api/v1/sales-refusals/": TOKEN + COUNT + PAGE,
    "/api/v1/sales/": TOKEN + COUNT + PAGE,  # attribution and its link joined
    "/api/v1/scheduled-posts/": TOKEN + COUNT + PAGE,  # campaign joined (for the phase)
    "/api/v1/tracking-links/": TOKEN + COUNT + PAGE,  # clicks counted, post and video joined
    "/api/v1/videos/": TOKEN + COUNT + PAGE,  # lifetime metrics joined
    "/api/v1/webhook-deliveries/": TOKEN + COUNT + PAGE,
    "/api/v1/webhook-endpoints/": TOKEN + COUNT + PAGE,
}
LIST_PATHS = [path for path, method in operations() if view_action(path, method) == "list"]


def test_every_list_has_a_pin():
    assert sorted(LIST_PATHS) == sorted(EXPECTED_QUERIES)


@pytest.mark.parametrize("size", [3, 25])
@pytest.mark.parametrize("path", LIST_PATHS, ids=[label((p, "get")) for p in LIST_PATHS])
def test_list_query_count_is_constant(
    path, size, api_a, creator, other_creator, django_assert_num_queries
):
    model = view_model(path)
    existing = (
        model.objects.owned_by(creator).count()
        if hasattr(model, "OWNER_PATH")
        else (model.objects.count())
    )
    for _ in range(size):
        list_row(model, creator)
    list_row(model, other_creator)  # never listed for A (shared rows excepted)

    with django_assert_num_queries(EXPECTED_QUERIES[path]):
        response = api_a.get(path, {"page_size": 100})

    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    shared = not hasattr(model, "OWNER_PATH")
    assert len(results) == existing + size + (1 if shared else 0)
