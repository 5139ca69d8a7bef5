"""Disputes in the aging: the "in dispute" filter (an item is in dispute on a date when a
dispute in dispute at the end of that day, by its history, names it) and the disputed
amount of each item in the detail (its dispute lines' own amounts, capped at its open
amount then)."""

import csv
import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import Customer
from disputes.models import DisputeStatus
from invoices.services import Allocation
from reporting.aging import AgingQuery, aging, detail_page
from reporting.exports import export_path, export_run
from reporting.models import ExportJob
from tests.factories import CustomerFactory, dispute_record, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 3, 31)
FEB_1 = datetime.datetime(2026, 2, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def book():
    customer = CustomerFactory(name="Acme")
    disputed = invoice(customer, "300.00", issue_date=datetime.date(2026, 1, 1))
    settled = invoice(customer, "50.00", issue_date=datetime.date(2026, 1, 2))
    invoice(customer, "1000.00", issue_date=datetime.date(2026, 3, 10))
    for item, status in [(disputed, DisputeStatus.IN_REVIEW), (settled, DisputeStatus.RESOLVED)]:
        dispute_record(customer, {item: "10.00"}, status=status, opened_at=FEB_1)
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


def _dispute(customer, lines, status=DisputeStatus.OPEN, closed_at=None):
    return dispute_record(customer, lines, status=status, opened_at=FEB_1, closed_at=closed_at)


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


def test_each_invoice_shows_its_own_disputed_amount(split):
    customer, early, late, _small = split
    _dispute(customer, {late: "50.00", early: "120.00"})

    assert _disputed() == {
        "EARLY": Decimal("120.00"),
        "SMALL": Decimal("0.00"),
        "LATE": Decimal("50.00"),
    }


def test_a_line_larger_than_the_open_amount_shows_only_the_open_amount(split):
    customer, _early, _late, small = split
    _dispute(customer, {small: "150.00"})

    assert _disputed()["SMALL"] == Decimal("50.00")


def test_the_cap_is_the_open_amount_as_of_the_date(split):
    customer, _early, _late, small = split
    _dispute(customer, {small: "150.00"})

    before_payment = AgingQuery(customers=Customer.objects.all(), as_of=datetime.date(2026, 2, 15))

    assert _disputed(before_payment)["SMALL"] == Decimal("150.00")


def test_two_disputes_on_one_invoice_never_exceed_its_open_amount(split):
    customer, early, late, _small = split
    _dispute(customer, {early: "150.00"})
    _dispute(customer, {early: "100.00", late: "20.00"})

    assert _disputed() == {
        "EARLY": Decimal("200.00"),
        "SMALL": Decimal("0.00"),
        "LATE": Decimal("20.00"),
    }


def test_resolved_and_withdrawn_disputes_are_not_counted(split):
    customer, early, late, _small = split
    _dispute(customer, {early: "90.00"}, status=DisputeStatus.RESOLVED)
    _dispute(customer, {late: "80.00"}, status=DisputeStatus.WITHDRAWN)

    assert set(_disputed().values()) == {Decimal("0.00")}


def test_a_filter_does_not_move_a_disputes_amount_between_invoices(split):
    customer, early, _late, _small = split
    sister = CustomerFactory(name="Sister")
    theirs = invoice(sister, "500.00", number="THEIRS", issue_date=datetime.date(2026, 1, 1))
    _dispute(customer, {early: "200.00", theirs: "400.00"})

    only_acme = AgingQuery(customers=Customer.objects.filter(pk=customer.pk), as_of=AS_OF)

    assert _disputed() == {
        "EARLY": Decimal("200.00"),
        "SMALL": Decimal("0.00"),
        "THEIRS": Decimal("400.00"),
        "LATE": Decimal("0.00"),
    }
    assert _disputed(only_acme) == {
        "EARLY": Decimal("200.00"),
        "SMALL": Decimal("0.00"),
        "LATE": Decimal("0.00"),
    }


# As of a past date: what the history says was in dispute then.


def _on(day: datetime.date) -> AgingQuery:
    return AgingQuery(customers=Customer.objects.all(), as_of=day)


def test_aging_as_of_a_past_date_reads_the_dispute_as_it_was_then(split):
    customer, early, _late, _small = split
    _dispute(
        customer,
        {early: "120.00"},
        status=DisputeStatus.RESOLVED,
        closed_at=datetime.datetime(2026, 3, 20, 15, 0, tzinfo=datetime.UTC),
    )

    before_opening = _disputed(_on(datetime.date(2026, 1, 31)))["EARLY"]
    while_open = _disputed(_on(datetime.date(2026, 3, 19)))["EARLY"]
    resolution_day = _disputed(_on(datetime.date(2026, 3, 20)))["EARLY"]

    assert (before_opening, while_open, resolution_day) == (
        Decimal("0.00"),
        Decimal("120.00"),
        Decimal("0.00"),
    )
    assert aging(
        AgingQuery(
            customers=Customer.objects.all(), as_of=datetime.date(2026, 3, 19), in_dispute=True
        )
    ).total == Decimal("200.00")
    assert aging(
        AgingQuery(customers=Customer.objects.all(), as_of=AS_OF, in_dispute=True)
    ).total == Decimal("0.00")


def test_a_dispute_opened_after_the_date_is_not_in_dispute_then(split):
    customer, early, _late, _small = split
    dispute_record(
        customer,
        {early: "120.00"},
        status=DisputeStatus.AWAITING_CUSTOMER,
        opened_at=datetime.datetime(2026, 4, 2, 9, 0, tzinfo=datetime.UTC),
    )

    assert _disputed()["EARLY"] == Decimal("0.00")
    assert _disputed(_on(datetime.date(2026, 4, 2)))["EARLY"] == Decimal("120.00")


def test_the_detail_still_adds_up_to_the_aging_total(split):
    customer, early, late, small = split
    _dispute(customer, {late: "50.00", early: "200.00"})
    _dispute(customer, {small: "40.00"})
    query = AgingQuery(customers=Customer.objects.all(), as_of=AS_OF)

    count, items = detail_page(query, offset=0, limit=100)
    report = aging(query)

    assert count == report.items == len(items) == 3
    assert sum(item["amount"] for item in items) == report.total == Decimal("550.00")
    assert sum(item["disputed_amount"] for item in items) == Decimal("290.00")


def test_the_detail_export_carries_the_disputed_amount(split, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    customer, early, late, _small = split
    _dispute(customer, {late: "50.00", early: "200.00"})
    job = ExportJob.objects.create(
        user=user_in_role(roles.FINANCE, "fin"),
        kind="detail",
        format="csv",
        parameters={"as_of": AS_OF.isoformat()},
    )

    job = export_run(job.pk)

    with export_path(job).open(newline="", encoding="utf-8-sig") as handle:
        _title, header, *body, usd_total, grand_total = list(csv.reader(handle))
    assert header[-1] == "Disputed amount"
    assert {row[2]: row[-1] for row in body} == {
        "EARLY": "200.00",
        "SMALL": "0.00",
        "LATE": "50.00",
    }
    assert (usd_total[0], usd_total[-1]) == ("Total USD", "250.00")
    assert (grand_total[0], grand_total[-1]) == ("Grand total (USD)", "")  # per currency only
