"""The aging's "in dispute" filter: an item is in dispute when an open dispute names it."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Customer
from disputes.models import Dispute, DisputeStatus
from reporting.aging import AgingQuery, aging
from reporting.models import ExportJob
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 3, 31)


@pytest.fixture
def book():
    customer = CustomerFactory(name="Acme")
    disputed = invoice(customer, "300.00", issue_date=datetime.date(2026, 1, 1))
    settled = invoice(customer, "50.00", issue_date=datetime.date(2026, 1, 2))
    invoice(customer, "1000.00", issue_date=datetime.date(2026, 3, 10))
    for item, status in [(disputed, DisputeStatus.OPEN), (settled, DisputeStatus.RESOLVED)]:
        dispute = Dispute.objects.create(
            customer=customer,
            amount=Decimal("10.00"),
            currency_id=item.currency_id,
            reason_code="pricing",
            status=status,
        )
        dispute.invoices.set([item])
    return customer


@pytest.mark.parametrize("method", ["forward", "backward"])
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
