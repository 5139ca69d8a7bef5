"""The open items come in windows by due date: the workspace draws the first, "Show more"
appends the next (htmx), the tiles still count every open item."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from collections_app.workspace_views import ITEMS_PAGE_SIZE

from .workflow import account, collector, overdue_invoice

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice():
    return collector("alice")


def _account_with(alice, n: int, prefix: str = "INV"):
    customer = account(alice)
    # numbered so that the latest due is the first created: due order is not creation order
    for k in range(n):
        overdue_invoice(customer, f"{100 + k}.00", days_late=n - k, number=f"{prefix}-{n - k:04d}")
    return customer


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _numbers(html: str) -> list[str]:
    return re.findall(r'aria-label="Select ([A-Z]+-\d+)"', html)


def _more_link(html: str) -> str:
    return re.search(r'hx-get="([^"]+)"[^>]*>Show \d+ more', html).group(1).replace("&amp;", "&")


def test_the_workspace_draws_the_first_window_and_counts_every_item(alice):
    customer = _account_with(alice, ITEMS_PAGE_SIZE + 20)

    response = _client(alice).get(f"/customers/{customer.pk}/")

    html = response.content.decode()
    # oldest due first: the largest days late
    expected = [f"INV-{n:04d}" for n in range(ITEMS_PAGE_SIZE + 20, 20, -1)]
    assert _numbers(html) == expected
    assert f"1\u2013{ITEMS_PAGE_SIZE} of {ITEMS_PAGE_SIZE + 20} shown" in html
    assert "Show 20 more, later due" in html
    total = sum(Decimal(f"{100 + k}.00") for k in range(ITEMS_PAGE_SIZE + 20))
    assert f"Open ({ITEMS_PAGE_SIZE + 20} invoices)" in html
    assert f"{total:,.2f} USD" in html


def test_show_more_appends_the_next_window_with_its_dunning_cells(alice):
    customer = _account_with(alice, ITEMS_PAGE_SIZE + 20)
    client = _client(alice)
    first = client.get(f"/customers/{customer.pk}/?from=queue").content.decode()

    response = client.get(_more_link(first), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == "collections_app/_open_items_rows.html"
    assert _numbers(html) == [f"INV-{n:04d}" for n in range(20, 0, -1)]
    # the extension's column comes with the rows, and the last window offers no more
    assert html.count('class="dunning-cell"') == 20
    assert "more-items" not in html
    assert 'name="invoices"' in html and 'data-open="169.00"' in html
    # a later window still says how many are shown in all once it is appended
    assert "<html" not in html


def test_a_middle_window_offers_the_next_and_says_how_many_are_shown(alice):
    customer = _account_with(alice, 2 * ITEMS_PAGE_SIZE + 1)

    response = _client(alice).get(f"/customers/{customer.pk}/items/?items=2", **HTMX)

    html = response.content.decode()
    assert len(_numbers(html)) == ITEMS_PAGE_SIZE
    assert f"1\u2013{2 * ITEMS_PAGE_SIZE} of {2 * ITEMS_PAGE_SIZE + 1} shown" in html
    assert "Show 1 more, later due" in html
    assert _more_link(html) == f"/customers/{customer.pk}/items/?items=3"


def test_show_more_without_htmx_opens_the_workspace_at_that_window(alice):
    customer = _account_with(alice, ITEMS_PAGE_SIZE + 1)

    response = _client(alice).get(f"/customers/{customer.pk}/items/?from=queue&items=2")

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/?from=queue&items=2"


def test_another_portfolios_items_are_a_404(alice):
    customer = _account_with(alice, 3)
    bob = collector("bob")

    response = _client(bob).get(f"/customers/{customer.pk}/items/?items=1", **HTMX)

    assert response.status_code == 404


def _window_queries(user, n: int) -> int:
    customer = _account_with(user, n, prefix=user.username.upper())
    client = _client(user)
    client.get(f"/customers/{customer.pk}/items/?items=1", **HTMX)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/customers/{customer.pk}/items/?items=1", **HTMX)
    assert len(_numbers(response.content.decode())) == min(n, ITEMS_PAGE_SIZE)
    return len(captured.captured_queries)


def test_a_window_runs_the_same_number_of_queries_for_1_and_a_full_window(alice):
    one = _window_queries(alice, 1)
    full = _window_queries(collector("carol"), ITEMS_PAGE_SIZE + 5)

    # session, user, two for permissions, the customer with its queue state, the count, the
    # rows, dunning's four (invoice states, profile, policies, template languages), the
    # account's open orders (orders' extension) and the user's groups (the navigation)
    assert one == full == 13
