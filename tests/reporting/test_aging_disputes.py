"""Disputes in the aging: the "in dispute" filter (an item is in dispute when an open dispute
names it) and the disputed amount of each item in the detail."""

import csv
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Customer
from disputes.models import Dispute, DisputeStatus
from invoices.services import Allocation
from reporting.aging import AgingQuery, aging, detail_page
from reporting.exports import export_path, export_run
from reporting.models import ExportJob
from tests.factories import CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 3, 31)


@pytest.fixture
def book():
    customer = CustomerFactory(name="Acme")
    disputed = invoice(customer, "300.00", issue_date=datetime.date(2026, 1, 1))
    settled = invoice(customer, "50.00", issue_date=datetime.date(2026, 1, 2))
    invoice(customer, "1000.00", issue_date=datetime.date(2026, 3, 10))
    now = timezone.now()
    for item, status in [(disputed, DisputeStatus.OPEN), (settled, DisputeStatus.RESOLVED)]:
        dispute = Dispute.objects.create(
            customer=customer,
            amount=Decimal("10.00"),
            currency_id=item.currency_id,
            reason_code="pricing",
            status=status,
            opened_at=now,
            resolved_at=now if status == DisputeStatus.RESOLVED else None,
        )
        dispute.invoices.set([item])
    return customer


@pytest.mark.parametrize("method", [None, "forward"])
@pytest.mark.parametrize(
    ("in_dispute", "total"),
    [(True, Decimal("300.00")), (False, Decimal("1050.00")), (None, Decimal("1350.00"))],
)
def test_aging_keeps_only_items_in_or_out_of_an_open_dispute(book, method, in_dispute, total):
    query = AgingQuery(
        customers=Customer.objects.all(), as_of=AS_OF, in_dispute=in_dispute, method=method
    )

    assert aging(query).total == total


def test_the_api_filters_on_in_dispute(book):
    client = APIClient()
    client.force_authenticate(user_in_role(roles.CFO, "cfo"))

    yes = client.get("/api/v1/reports/aging/", {"as_of": "2026-03-31", "in_dispute": "yes"})
    no = client.get("/api/v1/reports/aging/", {"as_of": "2026-03-31", "in_dispute": "no"})

    assert (yes.json()["total"], no.json()["total"]) == ("300.00", "1050.00")


def test_the_page_offers_the_filter_and_an_export_keeps_it(client, book):
    client.force_login(user_in_role(roles.FINANCE, "fin"))

    html = client.get("/reports/aging/", {"as_of": "2026-03-31", "in_dispute": "no"}).content
    client.post(
        "/reports/exports/",
        {"as_of": "2026-03-31", "in_dispute": "no", "kind": "summary", "format": "csv"},
    )

    assert b'<option value="no" selected>Not in dispute</option>' in html
    assert b'<input type="hidden" name="in_dispute" value="no">' in html
    assert ExportJob.objects.get().parameters["in_dispute"] is False


# The disputed amount in the detail (docs/reporting.md "Disputed amount").


def _dispute(customer, amount, invoices, status=DisputeStatus.OPEN, currency="USD"):
    now = timezone.now()
    dispute = Dispute.objects.create(
        customer=customer,
        amount=Decimal(amount),
        currency_id=currency,
        reason_code="pricing",
        status=status,
        opened_at=now,
        resolved_at=now if status == DisputeStatus.RESOLVED else None,
    )
    dispute.invoices.set(invoices)
    return dispute


def _disputed(query=None):
    query = query or AgingQuery(customers=Customer.objects.all(), as_of=AS_OF)
    _count, items = detail_page(query, offset=0, limit=100)
    return {item["number"]: item["disputed_amount"] for item in items}


@pytest.fixture
def split():
    """Three open invoices of Acme; SMALL has 100 of its 150 paid on 1 March."""
    customer = CustomerFactory(name="Acme")
    early = invoice(customer, "200.00", number="EARLY", issue_date=datetime.date(2026, 1, 1))
    late = invoice(customer, "300.00", number="LATE", issue_date=datetime.date(2026, 2, 1))
    small = invoice(customer, "150.00", number="SMALL", issue_date=datetime.date(2026, 1, 15))
    payment(
        customer,
        "100.00",
        received_date=datetime.date(2026, 3, 1),
        allocations=[Allocation(invoice_id=small.pk, amount=Decimal("100.00"))],
    )
    return customer, early, late, small


def test_a_dispute_over_two_invoices_fills_them_in_due_date_order(split):
    customer, early, late, _small = split
    _dispute(customer, "250.00", [late, early])

    assert _disputed() == {
        "EARLY": Decimal("200.00"),
        "SMALL": Decimal("0.00"),
        "LATE": Decimal("50.00"),
    }


def test_a_dispute_larger_than_the_open_amount_shows_only_the_open_amount(split):
    customer, _early, _late, small = split
    _dispute(customer, "1000.00", [small])

    assert _disputed()["SMALL"] == Decimal("50.00")


def test_the_cap_is_the_open_amount_as_of_the_date(split):
    customer, _early, _late, small = split
    _dispute(customer, "1000.00", [small])

    before_payment = AgingQuery(customers=Customer.objects.all(), as_of=datetime.date(2026, 2, 15))

    assert _disputed(before_payment)["SMALL"] == Decimal("150.00")


def test_two_disputes_on_one_invoice_never_exceed_its_open_amount(split):
    customer, early, late, _small = split
    _dispute(customer, "150.00", [early])
    _dispute(customer, "120.00", [early, late])

    assert _disputed() == {
        "EARLY": Decimal("200.00"),
        "SMALL": Decimal("0.00"),
        "LATE": Decimal("0.00"),
    }


def test_resolved_and_other_currency_disputes_are_not_counted(split, eur_rates):
    customer, early, late, _small = split
    _dispute(customer, "90.00", [early], status=DisputeStatus.RESOLVED)
    _dispute(customer, "80.00", [late], currency="EUR")

    assert set(_disputed().values()) == {Decimal("0.00")}


def test_a_filter_does_not_move_a_disputes_amount_between_invoices(split):
    customer, early, late, _small = split
    sister = CustomerFactory(name="Sister")
    theirs = invoice(sister, "500.00", number="THEIRS", issue_date=datetime.date(2026, 1, 1))
    _dispute(customer, "600.00", [early, theirs, late])

    only_acme = AgingQuery(customers=Customer.objects.filter(pk=customer.pk), as_of=AS_OF)

    assert _disputed() == {
        "EARLY": Decimal("200.00"),
        "SMALL": Decimal("0.00"),
        "THEIRS": Decimal("400.00"),  # due the same day as EARLY, created after it
        "LATE": Decimal("0.00"),
    }
    assert _disputed(only_acme) == {
        "EARLY": Decimal("200.00"),
        "SMALL": Decimal("0.00"),
        "LATE": Decimal("0.00"),
    }


def test_the_detail_still_adds_up_to_the_aging_total(split):
    customer, early, late, small = split
    _dispute(customer, "250.00", [late, early])
    _dispute(customer, "40.00", [small])
    query = AgingQuery(customers=Customer.objects.all(), as_of=AS_OF)

    count, items = detail_page(query, offset=0, limit=100)
    report = aging(query)

    assert count == report.items == len(items) == 3
    assert sum(item["amount"] for item in items) == report.total == Decimal("550.00")
    assert sum(item["disputed_amount"] for item in items) == Decimal("290.00")


def test_the_detail_export_carries_the_disputed_amount(split, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customer, early, late, _small = split
    _dispute(customer, "250.00", [late, early])
    job = ExportJob.objects.create(
        user=user_in_role(roles.FINANCE, "fin"),
        kind="detail",
        format="csv",
        parameters={"as_of": AS_OF.isoformat()},
    )

    job = export_run(job.pk)

    with export_path(job).open(newline="", encoding="utf-8") as handle:
        header, *body, totals = list(csv.reader(handle))
    assert header[-1] == "Disputed amount"
    assert {row[2]: row[-1] for row in body} == {
        "EARLY": "200.00",
        "SMALL": "0.00",
        "LATE": "50.00",
    }
    assert totals[-1] == "250.00"
