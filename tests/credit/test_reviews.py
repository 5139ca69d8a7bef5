"""Periodic credit reviews: the next date by risk class (set-based, brought forward when the
class asks for a shorter interval), reviews due in the inbox, and the review that records a
decision on limit and terms and sets the next date."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.models import AuditEntry, Customer, PaymentTerms
from collections_app.models import Activity
from credit import services
from credit.models import CreditChange, CreditReview, CreditReviewDate, LimitChangeRequest
from credit.reviews import add_months, credit_review_record, review_dates_refresh
from invoices.services import payment_void
from tests.factories import CustomerFactory, invoice, payment

from .conftest import logged_in

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def created_on(customer, day: datetime.date):
    created = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    Customer.objects.filter(pk=customer.pk).update(created_at=created)


def make_high(customer):
    invoice(customer, "5000.00", issue_date=TODAY - datetime.timedelta(days=5))
    for n in range(2):
        bounced = payment(customer, "10.00", received_date=TODAY - datetime.timedelta(days=2 + n))
        payment_void(
            actor=None,
            payment=bounced,
            return_date=TODAY - datetime.timedelta(days=1),
            reason="NSF",
        )


def next_review(customer) -> datetime.date:
    return CreditReviewDate.objects.get(customer=customer).next_review_on


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 15), 3) == datetime.date(2027, 2, 15)
    assert add_months(datetime.date(2026, 12, 3), 12) == datetime.date(2027, 12, 3)


def test_the_next_review_follows_the_risk_class_and_comes_forward_when_it_rises():
    start = TODAY - datetime.timedelta(days=10)
    low = CustomerFactory()
    unscored = CustomerFactory()
    rising = CustomerFactory(credit_limit=Decimal("1000.00"))
    for customer in (low, unscored, rising):
        created_on(customer, start)
    services.risk_scores_refresh()
    CustomerRiskRow = low.credit_risk.__class__
    CustomerRiskRow.objects.filter(customer=unscored).delete()

    review_dates_refresh()

    assert next_review(low) == next_review(rising) == add_months(start, 12)
    assert next_review(unscored) == add_months(start, 3)

    make_high(rising)
    services.risk_scores_refresh()
    review_dates_refresh()
    assert next_review(rising) == add_months(start, 1)
    assert next_review(low) == add_months(start, 12)

    assert review_dates_refresh() == 0  # nothing left to change


def test_a_review_due_is_in_the_inbox_and_the_review_clears_it(manager):
    customer = CustomerFactory(name="Bluewater Logistics", credit_limit=Decimal("20000.00"))
    created_on(customer, TODAY - datetime.timedelta(days=400))
    review_dates_refresh()
    client = logged_in(manager)
    inbox = client.get("/credit/").content.decode()
    assert "Credit review due" in inbox and "Credit (1)" in inbox

    net60 = PaymentTerms.objects.get(net_days=60)
    response = client.post(
        f"/credit/customers/{customer.pk}/review/",
        {
            "review-financials": "2025 accounts: profit 1.2M, current ratio 1.8",
            "review-limit": "30,000.00",
            "review-terms": str(net60.pk),
            "review-comment": "Solid year",
        },
    )

    assert response.status_code == 302
    fresh = Customer.objects.get(pk=customer.pk)
    assert (fresh.credit_limit, fresh.payment_terms) == (Decimal("30000.00"), net60)
    review = CreditReview.objects.get()
    assert (review.limit_before, review.limit_after, review.reviewed_by) == (
        Decimal("20000.00"),
        Decimal("30000.00"),
        manager,
    )
    assert review.next_review_on == add_months(TODAY, 3)  # not scored yet: medium
    assert CreditReviewDate.objects.get(customer=customer).last_reviewed_on == TODAY
    change = CreditChange.objects.get(customer=customer)
    assert (change.reason, change.comment) == ("financial_statements", "Credit review. Solid year")
    assert Activity.objects.get(customer=customer, summary__startswith="Credit review").summary == (
        f"Credit review: limit 30,000.00 USD, terms {net60}; "
        f"next review {review.next_review_on.isoformat()}"
    )
    assert AuditEntry.objects.filter(action="credit.review_record").count() == 1
    assert "Credit review due" not in client.get("/credit/").content.decode()


def test_a_review_above_the_reviewers_authority_forwards_the_limit(manager, senior):
    customer = CustomerFactory(credit_limit=Decimal("20000.00"))

    review = credit_review_record(
        actor=manager,
        customer=customer,
        financials="Strong growth",
        limit="250000.00",
        terms=customer.payment_terms,
        next_review_on=TODAY + datetime.timedelta(days=30),
    )

    request = LimitChangeRequest.objects.get()
    assert (review.limit_request, request.assigned_to) == (request, senior)
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("20000.00")
    assert review.next_review_on == TODAY + datetime.timedelta(days=30)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"financials": " "}, "financials"),
        ({"limit": "-5"}, "limit"),
        ({"next_review_on": TODAY}, "next_review_on"),
    ],
)
def test_a_refused_review_writes_nothing(manager, changes, field):
    customer = CustomerFactory(credit_limit=Decimal("20000.00"))
    before = (
        CreditReview.objects.count(),
        CreditChange.objects.count(),
        AuditEntry.objects.count(),
        Activity.objects.count(),
    )
    params = {
        "financials": "fine",
        "limit": "25000.00",
        "terms": customer.payment_terms,
        **changes,
    }

    with pytest.raises(ServiceError) as refused:
        credit_review_record(actor=manager, customer=customer, **params)

    assert refused.value.field == field
    assert before == (
        CreditReview.objects.count(),
        CreditChange.objects.count(),
        AuditEntry.objects.count(),
        Activity.objects.count(),
    )
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("20000.00")


def test_a_review_waits_for_the_pending_limit_request_on_every_path(manager, senior):
    """The rule sits in the service, under the account's lock, not only in the page and API:
    a review recorded beside a forwarded request would leave the request deciding a limit
    the review has already moved."""
    customer = CustomerFactory(credit_limit=Decimal("20000.00"))
    services.credit_limit_set(
        actor=manager,
        customer=customer,
        limit="250000.00",
        reason="financial_statements",
        comment="",
    )
    assert LimitChangeRequest.objects.filter(customer=customer, status="pending").count() == 1
    before = (
        CreditReview.objects.count(),
        CreditChange.objects.count(),
        AuditEntry.objects.count(),
        Activity.objects.count(),
    )

    with pytest.raises(ServiceError) as refused:
        credit_review_record(
            actor=manager,
            customer=customer,
            financials="Strong growth",
            limit="30000.00",
            terms=customer.payment_terms,
        )

    assert (refused.value.field, refused.value.code) == ("limit", "pending")
    assert before == (
        CreditReview.objects.count(),
        CreditChange.objects.count(),
        AuditEntry.objects.count(),
        Activity.objects.count(),
    )
    assert Customer.objects.get(pk=customer.pk).credit_limit == Decimal("20000.00")
    response = logged_in(manager).post(
        f"/credit/customers/{customer.pk}/review/",
        {
            "review-financials": "Strong growth",
            "review-limit": "30,000.00",
            "review-terms": str(customer.payment_terms.pk),
        },
    )
    assert response.status_code == 400
    assert "decide the pending" in response.content.decode().lower()
    assert CreditReview.objects.count() == before[0]
