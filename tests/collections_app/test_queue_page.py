"""/queue/: the ranked accounts with their reasons, filters, counters and constant queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from collections_app import services

from .workflow import account, collector, credit_manager, overdue_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _names(response) -> list[str]:
    return [row["customer"].name for row in response.context["rows"]]


def test_the_queue_lists_my_accounts_by_score_with_the_reasons(alice):
    old = account(alice, "Old Co")
    overdue_invoice(old, "48200.00", days_late=75)
    overdue_invoice(account(alice, "Young Co"), "900.00", days_late=5)
    overdue_invoice(account(collector("bob"), "Bobs Co"), "99000.00", days_late=95)
    services.queue_state_refresh()

    response = _client(alice).get("/queue/")

    assert response.status_code == 200
    assert _names(response) == ["Old Co", "Young Co"]
    assert response.context["rows"][0]["reasons"] == [
        "48,200 USD collectable overdue, oldest 75 days (61\u201390)",
        "credit limit 96% used",
        "never contacted",
    ]
    html = response.content.decode()
    assert (
        "48,200 USD collectable overdue, oldest 75 days (61\u201390) · credit limit 96% used"
        " · never contacted" in html
    )
    assert '<span class="bucket bucket-61_90">61\u201390</span>' in html
    assert 'class="num">48,200.00 USD</td>' in html
    assert "Bobs Co" not in html


def test_the_queue_counts_calls_made_today_against_the_target(alice, settings):
    settings.COLLECTOR_DAILY_CALL_TARGET = 25
    customer = account(alice)
    services.call_log(actor=alice, customer=customer, outcome="no_answer")
    services.call_log(actor=alice, customer=customer, outcome="left_voicemail")

    response = _client(alice).get("/queue/")

    assert (response.context["calls_today"], response.context["call_target"]) == (2, 25)
    assert "<strong>2</strong> / 25 calls today" in response.content.decode()


def test_the_queue_filters_by_aging_bucket_and_credit_status(alice):
    overdue_invoice(account(alice, "Ninety"), "100.00", days_late=95)
    overdue_invoice(account(alice, "Thirty", credit_status="hold"), "100.00", days_late=25)
    services.queue_state_refresh()
    client = _client(alice)

    assert _names(client.get("/queue/?bucket=91_120")) == ["Ninety"]
    assert _names(client.get("/queue/?bucket=over_120")) == []
    assert _names(client.get("/queue/?status=hold")) == ["Thirty"]
    assert _names(client.get("/queue/?currency=EUR")) == []


def test_a_collector_cannot_widen_the_queue_to_another_collector(alice):
    bob = collector("bob")
    overdue_invoice(account(bob, "Bobs Co"), "100.00", days_late=95)
    services.queue_state_refresh()

    for owner in ("all", str(bob.pk)):
        assert _names(_client(alice).get(f"/queue/?owner={owner}")) == []


def test_a_credit_manager_sees_the_team_queue_or_one_collectors(alice):
    bob = collector("bob")
    overdue_invoice(account(alice, "Alices Co"), "100.00", days_late=95)
    overdue_invoice(account(bob, "Bobs Co"), "200.00", days_late=95)
    services.queue_state_refresh()
    client = _client(credit_manager())

    assert _names(client.get("/queue/")) == []
    assert _names(client.get("/queue/?owner=all")) == ["Bobs Co", "Alices Co"]
    assert _names(client.get(f"/queue/?owner={alice.pk}")) == ["Alices Co"]


def test_next_goes_to_the_following_account_of_the_same_queue(alice):
    a = account(alice, "A")
    b = account(alice, "B")
    overdue_invoice(a, "9000.00", days_late=95)
    overdue_invoice(b, "100.00", days_late=5)
    services.queue_state_refresh()
    client = _client(alice)
    first = client.get("/queue/").context["rows"][0]

    response = client.get(first["url"])
    next_url = response.context["next_url"]
    assert next_url.startswith("/queue/next/?from=")
    after = client.get(next_url)

    assert after.status_code == 302
    assert after.url.startswith(f"/customers/{b.pk}/?from=")
    assert client.get(client.get(after.url).context["next_url"]).url == "/queue/?"


def _queue_queries(user, n: int) -> int:
    for i in range(n):
        overdue_invoice(account(user, f"Customer {n}-{i:03d}"), "100.00", days_late=10 + i)
    services.queue_state_refresh()
    client = _client(user)
    client.get("/queue/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/queue/")
    assert len(response.context["rows"]) == min(n, 50)
    return len(captured.captured_queries)


def test_the_queue_runs_the_same_number_of_queries_for_5_and_200_accounts(alice):
    five = _queue_queries(alice, 5)
    two_hundred = _queue_queries(collector("bob"), 200)

    # 8, two for the count beside the "My day" link, one for credit's exposure column
    assert five == two_hundred == 11
