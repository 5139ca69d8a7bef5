"""One bucket definition and one conversion path: the queue, the workspace, the statement
and the aging report agree on a 100-day item; the queue never converts 1:1."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from accounts.buckets import BUCKET_LABELS
from accounts.models import Customer, ExchangeRate
from collections_app import services
from collections_app.forms import QueueFilterForm
from collections_app.models import QueueState
from collections_app.selectors import reason_lines
from invoices.statements import statement_data
from reporting.aging import AgingQuery, aging, detail_page
from tests.factories import invoice

from .workflow import account, collector, overdue_invoice, today

pytestmark = pytest.mark.django_db

NINETY_ONE_TO_120 = "91\u2013120"


@pytest.fixture
def alice():
    return collector("alice")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _state(customer) -> QueueState:
    return QueueState.objects.get(customer=customer)


def test_a_100_day_item_is_91_120_in_the_queue_workspace_statement_and_report(alice):
    customer = account(alice, "Hundred Days")
    overdue_invoice(customer, "700.00", days_late=100, number="INV-100")
    services.queue_state_refresh()

    queue = _client(alice).get("/queue/?bucket=91_120")
    workspace = _client(alice).get(f"/customers/{customer.pk}/")
    statement = statement_data(customer)
    report = aging(AgingQuery(customers=Customer.objects.all(), as_of=today()))
    _, detail = detail_page(
        AgingQuery(customers=Customer.objects.all(), as_of=today()), offset=0, limit=10
    )

    assert BUCKET_LABELS["91_120"] == NINETY_ONE_TO_120
    assert [row["customer"].name for row in queue.context["rows"]] == ["Hundred Days"]
    assert (
        f'<span class="bucket bucket-91_120">{NINETY_ONE_TO_120}</span>' in queue.content.decode()
    )
    assert ("91_120", NINETY_ONE_TO_120) in QueueFilterForm().fields["bucket"].choices
    assert (
        f'<span class="bucket bucket-91_120">{NINETY_ONE_TO_120}</span>'
        in workspace.content.decode()
    )
    assert "91+" not in workspace.content.decode()
    group = statement["currencies"][0]
    filled = [
        label
        for label, amount in zip(statement["bucket_labels"], group["aging"], strict=True)
        if amount
    ]
    assert filled == [NINETY_ONE_TO_120]
    assert report.buckets["91_120"] == Decimal("700.00")
    assert BUCKET_LABELS[detail[0]["bucket"]] == NINETY_ONE_TO_120


def test_the_why_line_names_the_same_bucket_as_the_badge(alice):
    customer = account(alice)
    overdue_invoice(customer, "48200.00", days_late=130)
    overdue_invoice(customer, "3100.00", days_late=10)
    services.queue_state_refresh()

    state = _state(customer)

    assert (state.oldest_bucket, state.get_oldest_bucket_display()) == ("over_120", "Over 120")
    assert reason_lines(state)[:2] == [
        "51,300 USD collectable overdue, oldest 130 days (Over 120)",
        "48,200 USD of it over 60 days",
    ]


def test_a_currency_with_no_rate_is_flagged_not_counted_1_to_1(alice):
    yen = account(alice, "Yen KK", currency_id="JPY")
    overdue_invoice(yen, "500000", days_late=40)
    mixed = account(alice, "Mixed Inc")
    overdue_invoice(mixed, "1000.00", days_late=20)
    invoice(mixed, "90000", issue_date=today() - datetime.timedelta(days=75), currency="JPY")

    services.queue_state_refresh()

    alone, both = _state(yen), _state(mixed)
    assert (alone.overdue_amount, alone.open_amount, alone.missing_rates, alone.in_queue) == (
        Decimal("0.00"),
        Decimal("0.00"),
        ["JPY"],
        True,
    )
    assert (alone.oldest_days_past_due, alone.oldest_bucket) == (40, "31_60")
    assert (both.overdue_amount, both.missing_rates) == (Decimal("1000.00"), ["JPY"])
    assert reason_lines(alone)[:2] == [
        "no rate for JPY: not counted",
        "collectable overdue, oldest 40 days (31\u201360)",
    ]
    html = _client(alice).get("/queue/").content.decode()
    assert "no rate for JPY" in html


def test_the_queue_uses_an_inverse_rate_when_there_is_no_direct_one(alice):
    pounds = account(alice, "Pounds Ltd", currency_id="GBP")
    overdue_invoice(pounds, "800.00", days_late=40)
    ExchangeRate.objects.create(
        currency_id="USD",
        quote_currency_id="GBP",
        valid_from=today() - datetime.timedelta(days=3),
        rate=Decimal("0.80000000"),
    )
    # a rate that is not yet in force today is not used
    ExchangeRate.objects.create(
        currency_id="USD",
        quote_currency_id="GBP",
        valid_from=today() + datetime.timedelta(days=1),
        rate=Decimal("0.50000000"),
    )

    services.queue_state_refresh()

    state = _state(pounds)
    assert (state.currency_id, state.overdue_amount, state.missing_rates) == (
        "USD",
        Decimal("1000.00"),
        [],
    )
