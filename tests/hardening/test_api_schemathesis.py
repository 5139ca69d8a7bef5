"""Issue 16, item 7: the API against its own live schema (schemathesis, in the suite).

Every operation, a few seeded examples each (bounded so the run stays short): no answer is
a 5xx, and every answer's status code, content type and body are the ones the schema
documents. The caller is an admin, who reaches every endpoint; a small book is seeded so
that lists and filters have rows to answer with, and every read of one record is also
asked for a record that exists (random ids find none), so its 200 is checked too. (The
operations are walked here rather than with ``schema.parametrize()``: its lazy fixture
loader does not run under pytest 9.)
"""

import datetime
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import roles
from accounts.models import ExchangeRate
from collections_app.services import dispute_raise
from credit import order_services
from credit import services as credit
from credit.reviews import credit_review_record
from dunwell.wsgi import application
from invoices import services as ledger
from reporting.exports import export_path
from reporting.models import ExportJob
from tests.factories import ContactFactory, CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def in_process_requests():
    # As Django's test client does: keep the test's connection (and its transaction) open
    # across the in-process WSGI requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def book(settings, tmp_path, in_process_requests):
    """The admin's token and one record of each kind the API reads, by kind."""
    settings.MEDIA_ROOT = tmp_path
    admin = user_in_role(roles.ADMIN, "ada", is_staff=True)
    acme = CustomerFactory(external_ref="ACME", name="Acme", assigned_collector=admin)
    contact = ContactFactory(customer=acme, name="Ann Payable", email="ap@acme.example")
    owed = invoice(acme, "100.00", number="INV-1")
    cash = payment(acme, "40.00", reference="PAY-1")
    (applied,) = ledger.payment_apply(
        actor=None,
        payment=cash,
        allocations=[ledger.Allocation(invoice_id=owed.pk, amount=Decimal("10.00"))],
    )
    memo = ledger.credit_memo_issue(
        actor=None,
        customer=acme,
        number="CM-1",
        issue_date=datetime.date(2026, 1, 15),
        amount="5.00",
        reason="damaged",
    )
    adjustment = ledger.invoice_adjust(
        actor=None, invoice=owed, kind="write_off", amount="1.00", reason="rounding"
    )
    rate = ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=datetime.date(2026, 1, 1),
        rate=Decimal("1.1"),
    )
    return {
        "token": Token.objects.create(user=admin).key,
        "customers": acme.pk,
        "contacts": contact.pk,
        "invoices": owed.pk,
        "payments": cash.pk,
        "applications": applied.pk,
        "credit-memos": memo.pk,
        "adjustments": adjustment.pk,
        "exchange-rates": rate.pk,
        "exports": _export(admin).pk,
        **_newer_apps(admin, acme, owed),
    }


def _newer_apps(admin, acme, owed) -> dict:
    """A record in each of the credit, orders and disputes APIs, so that their answers are
    checked against the schema with something in them."""
    credit.credit_authority_set(actor=None, user=admin, amount="100.00", currency="USD")
    manager = user_in_role(roles.CREDIT_MANAGER, "carla")
    credit.credit_authority_set(actor=None, user=manager, amount="900000.00", currency="USD")
    review = credit_review_record(
        actor=manager,
        customer=acme,
        financials="audited accounts 2025",
        limit=acme.credit_limit,
        terms=acme.payment_terms,
    )
    request = credit.credit_limit_set(
        actor=admin, customer=acme, limit="80000.00", reason="financial_statements"
    )
    order, _created = order_services.order_receive(
        actor=None,
        external_ref="SO-1",
        customer=acme,
        amount="250.00",
        currency="USD",
        requested_ship_date=timezone.localdate(),
    )
    dispute = dispute_raise(
        actor=admin, customer=acme, invoice_ids=[owed.pk], reason_code="pricing"
    )
    return {
        "limit-requests": request.pk,
        "reviews": review.pk,
        "orders": order.external_ref,
        "disputes": dispute.pk,
    }


def _export(owner) -> ExportJob:
    job = ExportJob.objects.create(
        user=owner,
        kind="summary",
        format="csv",
        parameters={"as_of": "2026-06-30"},
        status="done",
        progress=100,
        file_name="aging.csv",
        finished_at=timezone.now(),
    )
    path = export_path(job)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("Group,Total\nAcme,89.00\n")
    return job


def _schema(book):
    auth = {"Authorization": f"Token {book['token']}"}
    return auth, schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers=auth
    )


def test_the_api_answers_as_its_schema_says(book):
    auth, schema = _schema(book)
    failures = {}

    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,  # the same examples every run
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case):
            case.call_and_validate(headers=auth, checks=CHECKS)

        try:
            answers_as_documented()
        except (Exception, BaseExceptionGroup) as failure:  # every operation's, reported together
            failures[operation.label] = str(failure)[:2000]

    print(*failures.values(), sep="\n\n")  # the reproductions, shown on failure
    assert failures == {}


# Reads of one record with nothing of its kind in the book: the random examples above
# check their refusals.
RECORDS_NOT_SEEDED = {
    "/api/v1/cash/bank-imports/{id}/",
    "/api/v1/disputes/{id}/attachments/{attachment_id}/",
}


def _record_of(path: str, book: dict) -> dict | None:
    """The path parameters naming a record of the book, from the path's resource."""
    if path in RECORDS_NOT_SEEDED:
        return None
    if path.startswith("/api/v1/customers/{id}/"):
        return {"id": book["customers"]}
    if path.startswith("/api/v1/disputes/{id}/"):
        return {"id": book["disputes"]}
    if path.startswith("/api/v1/orders/{ref}/"):
        return {"ref": book["orders"]}
    if path.startswith("/api/v1/reports/exports/{id}/"):
        return {"id": book["exports"]}
    resource = path.removeprefix("/api/v1/").removeprefix("credit/").split("/")[0]
    return {"id": book[resource]}


def test_every_read_of_a_record_answers_as_its_schema_says_for_one_that_exists(book):
    auth, schema = _schema(book)
    answers, failures, reads = {}, {}, set()

    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET" or "{" not in operation.path:
            continue
        reads.add(operation.path)
        parameters = _record_of(operation.path, book)
        if parameters is None:
            continue
        case = operation.Case(path_parameters=parameters)
        try:
            response = case.call_and_validate(headers=auth, checks=CHECKS)
            answers[operation.path] = response.status_code
        except (Exception, BaseExceptionGroup) as failure:
            failures[operation.label] = str(failure)[:2000]

    print(*failures.values(), sep="\n\n")
    assert failures == {}
    assert set(answers.values()) == {200}, answers
    assert set(answers) == reads - RECORDS_NOT_SEEDED
    assert len(answers) >= 17  # details, a customer's credit, a dispute's comments, ...
