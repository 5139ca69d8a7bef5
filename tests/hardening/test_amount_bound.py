"""Issue 16, item 1: every amount is bounded by AMOUNT_MAX at the service layer, the stored
sums are wide enough for many amounts at the bound, and one account's bad data never
stops a set-based job for the others."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEntry, Currency, Customer, ExchangeRate
from collections_app.models import QueueState
from collections_app.services import queue_state_refresh
from invoices import services as ledger
from invoices.models import CreditMemo, Invoice, Payment
from reporting.models import ARSnapshot, CollectorSnapshot
from reporting.snapshots import snapshot_take
from tests.collections_app.workflow import account, collector, overdue_invoice, today
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

AT_THE_BOUND = "1000000000000.00"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_refuses_an_invoice_above_the_business_maximum_naming_amount():
    finance = user_in_role(roles.FINANCE, "fiona")
    CustomerFactory(external_ref="ACME", name="Acme")
    audit_before = AuditEntry.objects.count()

    response = _api(finance).post(
        "/api/v1/invoices/",
        {
            "number": "INV-HUGE",
            "customer": "ACME",
            "issue_date": "2026-01-01",
            "due_date": "2026-01-31",
            "amount": "9000000000000000.00",
            "currency": "USD",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "amount"
    assert "1000000000000.00" in response.json()["detail"]
    assert Invoice.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before


def test_the_bound_is_a_setting_and_the_bound_itself_is_accepted(settings):
    settings.AMOUNT_MAX = Decimal("5000.00")
    customer = CustomerFactory()

    accepted = invoice(customer, "5000.00")
    with pytest.raises(ServiceError) as refused:
        invoice(customer, "5000.01")

    assert accepted.amount == Decimal("5000.00")
    assert refused.value.field == "amount"
    assert Invoice.objects.count() == 1


def test_a_payment_above_the_bound_is_refused_and_nothing_is_stored():
    customer = CustomerFactory()

    with pytest.raises(ServiceError) as refused:
        ledger.payment_post(
            actor=None,
            customer=customer,
            reference="PAY-HUGE",
            received_date=datetime.date(2026, 2, 1),
            amount=Decimal("1000000000000.01"),
            currency="USD",
        )

    assert refused.value.field == "amount"
    assert customer.payments.count() == 0


def test_the_queue_sums_amounts_at_the_bound_converted_into_a_weak_reporting_currency(settings):
    # 1e12 USD at 25 000 units of the reporting currency per dollar no longer fits 18 digits
    settings.REPORTING_CURRENCY = "EUR"
    ExchangeRate.objects.create(
        currency_id="USD",
        quote_currency_id="EUR",
        valid_from=datetime.date(2020, 1, 1),
        rate=Decimal("25000"),
    )
    alice = collector("alice")
    big = account(alice, "Big")
    for n in range(3):
        overdue_invoice(big, AT_THE_BOUND, days_late=95, number=f"BIG-{n}")

    queue_state_refresh()

    assert QueueState.objects.get(customer=big).open_amount == Decimal("75000000000000000.00")


def test_a_tiny_credit_limit_beside_a_huge_balance_does_not_stop_the_refresh():
    alice = collector("alice")
    tiny = account(alice, "Tiny limit", credit_limit=Decimal("0.01"))
    other = account(alice, "Other")
    overdue_invoice(tiny, AT_THE_BOUND, days_late=10)
    overdue_invoice(other, "500.00", days_late=10)

    result = queue_state_refresh()

    assert result.failed == ()
    assert QueueState.objects.get(customer=other).overdue_amount == Decimal("500.00")
    assert QueueState.objects.get(customer=tiny).credit_use_pct > 100


def test_one_account_the_database_refuses_does_not_stop_the_refresh_of_the_others(capsys):
    alice = collector("alice")
    bad = account(alice, "Bad data")
    good = account(alice, "Good")
    with connection.cursor() as cursor:
        # stands for any row the database cannot store (an overflow in legacy data)
        cursor.execute(
            "ALTER TABLE collections_app_queuestate ADD CONSTRAINT test_bad_row "
            f"CHECK (customer_id <> {bad.pk})"
        )
    overdue_invoice(bad, "100.00", days_late=10)
    overdue_invoice(good, "200.00", days_late=10)

    result = queue_state_refresh()
    call_command("refresh_queue")

    assert result.failed == (bad.pk,)
    assert result.rows == 1
    assert QueueState.objects.get(customer=good).overdue_amount == Decimal("200.00")
    assert not QueueState.objects.filter(customer=bad).exists()
    assert f"could not refresh customers: {bad.pk}" in capsys.readouterr().out


def test_the_snapshots_hold_the_sum_of_many_amounts_at_the_bound(settings):
    settings.REPORTING_CURRENCY = "EUR"
    ExchangeRate.objects.create(
        currency_id="USD",
        quote_currency_id="EUR",
        valid_from=datetime.date(2020, 1, 1),
        rate=Decimal("25000"),
    )
    big = CustomerFactory()
    for n in range(3):
        invoice(big, AT_THE_BOUND, number=f"BIG-{n}", issue_date=today())

    snapshot = snapshot_take(day=today())

    assert snapshot.total == Decimal("75000000000000000.00")
    assert ARSnapshot.objects.get().credit_sales == Decimal("75000000000000000.00")
    assert CollectorSnapshot.objects.get().total == Decimal("75000000000000000.00")
    assert Currency.objects.filter(code="EUR").exists()


# --- this wave's inputs: orders, credit limits, disputes, the cash pages ------------------

HUGE = "9000000000000000.00"


def _written() -> tuple:
    from credit.models import CreditChange, CreditReview, LimitChangeRequest
    from disputes.models import Dispute
    from orders.models import Order

    return (
        list(Order.objects.values_list("external_ref", "amount")),
        Dispute.objects.count(),
        LimitChangeRequest.objects.count(),
        CreditReview.objects.count(),
        CreditChange.objects.count(),
        list(Customer.objects.values_list("pk", "credit_limit")),
        AuditEntry.objects.count(),
    )


def _huge_requests(customer, owed) -> dict:
    """name -> (method, url, body with an amount far above AMOUNT_MAX)."""
    return {
        "order": (
            "post",
            "/api/v1/orders/",
            {
                "external_ref": "SO-2",
                "customer": "ACME",
                "amount": HUGE,
                "currency": "USD",
                "requested_ship_date": "2026-12-20",
            },
        ),
        "order change": ("patch", "/api/v1/orders/SO-1/", {"amount": HUGE}),
        "credit limit": (
            "patch",
            f"/api/v1/customers/{customer.pk}/credit/",
            {"credit_limit": HUGE, "reason": "financial_statements"},
        ),
        "limit request": (
            "post",
            "/api/v1/credit/limit-requests/",
            {"customer": customer.pk, "requested_limit": HUGE, "reason": "legal"},
        ),
        "credit review": (
            "post",
            "/api/v1/credit/reviews/",
            {"customer": customer.pk, "financials": "x", "credit_limit": HUGE, "terms": "NET30"},
        ),
        "dispute line": (
            "post",
            "/api/v1/disputes/",
            {
                "customer": customer.pk,
                "reason": "pricing",
                "lines": [{"invoice": owed.pk, "amount": HUGE}],
            },
        ),
        "dispute amount": (
            "post",
            "/api/v1/disputes/",
            {"customer": customer.pk, "reason": "pricing", "invoices": [owed.pk], "amount": HUGE},
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "order",
        "order change",
        "credit limit",
        "limit request",
        "credit review",
        "dispute line",
        "dispute amount",
    ],
)
def test_this_waves_apis_refuse_an_amount_above_the_business_maximum(name):
    from credit import order_services

    admin = user_in_role(roles.ADMIN, "ada", is_staff=True)
    customer = CustomerFactory(external_ref="ACME", name="Acme", assigned_collector=admin)
    owed = invoice(customer, "100.00")
    order_services.order_receive(
        actor=None,
        external_ref="SO-1",
        customer=customer,
        amount="10.00",
        currency="USD",
        requested_ship_date=today(),
    )
    method, url, body = _huge_requests(customer, owed)[name]
    before = _written()

    response = getattr(_api(admin), method)(url, body, format="json")

    assert response.status_code == 400, response.content
    assert "the maximum amount is 1000000000000.00" in response.json()["detail"]
    assert _written() == before


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/cash/payments/new/", {"received_date": "2026-02-01", "reference": "P-HUGE"}),
        ("/cash/credit-memos/new/", {"issue_date": "2026-02-01", "number": "CM", "reason": "r"}),
    ],
)
def test_the_cash_pages_refuse_an_amount_above_the_business_maximum(url, body):
    from django.test import Client

    CustomerFactory(external_ref="ACME", name="Acme")
    client = Client()
    client.force_login(user_in_role(roles.FINANCE, "fiona"))
    audit_before = AuditEntry.objects.count()

    response = client.post(
        url, {"customer": "ACME", "amount": HUGE, "currency": "USD", "method": "wire", **body}
    )

    assert response.status_code == 400
    assert "the maximum amount is 1000000000000.00" in response.content.decode()
    assert (Payment.objects.count(), CreditMemo.objects.count()) == (0, 0)
    assert AuditEntry.objects.count() == audit_before


def test_an_exposure_far_above_one_amount_is_decided_reviewed_and_shown():
    """This wave's stored exposures (an order's decision, a credit review) are sums too: one
    invoice at the bound in dollars is 2.5e16 in a customer's currency at 25,000 per dollar,
    past an amount's 18 digits (the order API, the review and the credit API were a 500)."""
    from django.test import Client

    from credit.models import CreditReview
    from orders.models import OrderDecision

    ExchangeRate.objects.create(
        currency_id="USD",
        quote_currency_id="EUR",
        valid_from=datetime.date(2020, 1, 1),
        rate=Decimal("25000"),
    )
    admin = user_in_role(roles.ADMIN, "ada", is_staff=True)
    weak = CustomerFactory(
        external_ref="WEAK",
        currency=Currency.objects.get(code="EUR"),
        credit_limit=Decimal("100.00"),
        assigned_collector=admin,
    )
    invoice(weak, AT_THE_BOUND, currency="USD", issue_date=today())
    exposure = "25000000000000000.00"
    api = _api(admin)

    order = api.post(
        "/api/v1/orders/",
        {
            "external_ref": "SO-1",
            "customer": "WEAK",
            "amount": "10.00",
            "currency": "EUR",
            "requested_ship_date": today().isoformat(),
        },
        format="json",
    )
    credit = api.get(f"/api/v1/customers/{weak.pk}/credit/")
    review = api.post(
        "/api/v1/credit/reviews/",
        {"customer": weak.pk, "financials": "x", "credit_limit": "100.00", "terms": "NET30"},
        format="json",
    )
    page = Client()
    page.force_login(admin)

    assert order.status_code == 201, order.content
    assert (order.json()["decision"], order.json()["exposure_before"]) == ("held", exposure)
    assert OrderDecision.objects.get().exposure_after == Decimal("25000000000000010.00")
    assert credit.status_code == 200
    assert credit.json()["exposure"]["open_ar"] == exposure
    assert review.status_code == 201, review.content
    assert CreditReview.objects.get().exposure == Decimal("25000000000000010.00")  # the order too
    assert page.get(f"/credit/customers/{weak.pk}/").status_code == 200
    assert page.get("/credit/releases/").status_code == 200
