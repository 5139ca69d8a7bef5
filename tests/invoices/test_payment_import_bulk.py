"""The set-based payments import (``payment_post_many``) against an independent answer: the
same file posted one row at a time through ``payment_post``, as the import did before
issue 15. Same payments, applications, balances, movement dates, audit entries, derived
state (queue, promises) and hook customers; refusals on the same row with the same words;
queries that do not grow with the rows."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts import roles
from accounts.csv_reading import ImportRejected
from accounts.errors import ServiceError
from accounts.models import AuditEntry, Customer
from collections_app.models import Promise, QueueState
from collections_app.services import promise_record
from invoices import hooks, services
from invoices.imports import import_payments
from invoices.models import Application, Invoice, Payment
from invoices.selectors import ledger_discrepancies
from invoices.services import Allocation, NewPayment, payment_post_many
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db

HEADER = "reference,customer_ref,received_date,amount,currency,invoice_number"
LEDGER_ACTIONS = ("payment.post", "application.create")
# the column the import names for a service's field (invoices.imports.SERVICE_FIELD_COLUMNS)
COLUMN_OF = {"effective_date": "received_date", "allocations": "invoice_number"}


def _file(rows: list[tuple]) -> io.BytesIO:
    lines = [HEADER, *(",".join(str(cell) for cell in row) for row in rows)]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


class RefusedOnRow(Exception):
    def __init__(self, index: int, error: ServiceError):
        super().__init__(index, error)
        self.index, self.error = index, error


def post_one_by_one(rows: list[tuple], actor) -> None:
    """The import's writing pass before issue 15: ``payment_post`` a row at a time, applied
    to the named invoice for the smaller of the payment and what earlier rows left open.
    The first refusal stops it, naming its row (``RefusedOnRow``)."""
    open_left: dict[int, Decimal] = {}
    for index, (reference, customer_ref, received, amount, currency, number) in enumerate(rows):
        allocations = []
        if number:
            named = Invoice.objects.get(number=number)
            left = open_left.setdefault(named.pk, named.open_amount)
            share = min(Decimal(amount), left)
            if share > 0:
                allocations = [Allocation(invoice_id=named.pk, amount=share)]
                open_left[named.pk] = left - share
        try:
            services.payment_post(
                actor=actor,
                customer=Customer.objects.get(external_ref=customer_ref),
                reference=reference,
                received_date=datetime.date.fromisoformat(received),
                amount=Decimal(amount),
                currency=currency,
                allocations=allocations,
            )
        except ServiceError as exc:
            raise RefusedOnRow(index, exc) from exc


def ledger_state() -> dict[str, list]:
    """Everything a posting writes, by natural keys (ids differ between two postings)."""
    references = dict(Payment.objects.values_list("pk", "reference"))
    applications = {
        pk: (references[payment], number)
        for pk, payment, number in Application.objects.values_list(
            "pk", "payment", "invoice__number"
        )
    }
    audit = [
        (
            action,
            actor,
            references[int(object_id)]
            if action == "payment.post"
            else applications[int(object_id)],
            json.dumps(before, sort_keys=True),
            json.dumps(after, sort_keys=True),
        )
        for action, actor, object_id, before, after in AuditEntry.objects.filter(
            action__in=LEDGER_ACTIONS
        ).values_list("action", "actor", "object_id", "before", "after")
    ]
    return {
        "payments": sorted(
            Payment.objects.values_list(
                "reference",
                "customer__external_ref",
                "received_date",
                "amount",
                "unapplied_amount",
                "currency",
                "method",
                "status",
                "created_by",
            )
        ),
        "applications": sorted(
            Application.objects.values_list(
                "payment__reference",
                "invoice__number",
                "amount",
                "currency",
                "effective_date",
                "created_by",
                "note",
            )
        ),
        "invoices": sorted(
            Invoice.objects.values_list(
                "number", "open_amount", "first_movement_date", "last_movement_date"
            )
        ),
        "audit": sorted(audit),
        "queue": sorted(
            QueueState.objects.values_list(
                "customer__external_ref", "open_amount", "overdue_amount", "score", "in_queue"
            )
        ),
        "promises": sorted(Promise.objects.values_list("pk", "status", "collected_amount")),
    }


def rolled_back(run) -> dict[str, list]:
    """The ledger state ``run`` leaves, then rolled back."""
    with transaction.atomic():
        run()
        state = ledger_state()
        transaction.set_rollback(True)
    return state


@pytest.fixture
def finance():
    return user_in_role(roles.FINANCE, "fiona")


@pytest.fixture
def book():
    """A parent account and its child, another customer, and their open invoices."""
    acme = CustomerFactory(external_ref="ACME")
    child = CustomerFactory(external_ref="ACME-EU", parent=acme)
    beta = CustomerFactory(external_ref="BETA")
    issued = timezone.localdate() - datetime.timedelta(days=40)
    invoice(acme, "100.00", number="INV-1", issue_date=issued)
    invoice(acme, "30.00", number="INV-2", issue_date=issued)
    invoice(child, "80.00", number="INV-3", issue_date=issued)
    invoice(beta, "50.00", number="INV-4", issue_date=issued, currency="EUR")
    return acme, child, beta


def test_the_import_writes_what_payment_post_writes_row_by_row(book, finance, monkeypatch):
    acme, _, _ = book
    today = timezone.localdate()
    promise_record(
        actor=finance,
        customer=acme,
        amount=Decimal("12.34"),
        promised_date=today + days(3),
        invoice_ids=[Invoice.objects.get(number="INV-2").pk],
    )
    calls: list[set[int]] = []
    monkeypatch.setattr(hooks, "cash_applied_hooks", [*hooks.cash_applied_hooks, calls.append])
    day = [str(today - days(n)) for n in range(4)]
    rows = [
        ("PAY-1", "ACME", day[3], "60.00", "USD", "INV-1"),
        ("PAY-2", "ACME", day[1], "75.00", "USD", "INV-1"),  # 40.00 applied, 35.00 left
        ("PAY-3", "ACME", day[2], "80.00", "USD", "INV-3"),  # the parent pays its child's
        ("PAY-4", "BETA", day[0], "70.00", "EUR", "INV-4"),  # over-paid: 20.00 left
        ("PAY-5", "BETA", day[0], "5.00", "USD", ""),
        ("PAY-6", "ACME", day[0], "10.00", "USD", "INV-1"),  # already paid: unapplied
        ("PAY-7", "ACME", day[0], "12.34", "USD", "INV-2"),
    ]

    one_by_one = rolled_back(lambda: post_one_by_one(rows, finance))
    by_row_calls = list(calls)
    calls.clear()
    result = import_payments(_file(rows), actor=finance)

    assert str(result) == "payments: 7 created, 0 updated, 0 unchanged"
    assert ledger_state() == one_by_one
    assert one_by_one["invoices"] == [
        ("INV-1", Decimal("0.00"), datetime.date.fromisoformat(day[3]), today - days(1)),
        ("INV-2", Decimal("17.66"), today, today),
        ("INV-3", Decimal("0.00"), today - days(2), today - days(2)),
        ("INV-4", Decimal("0.00"), today, today),
    ]
    assert len(one_by_one["audit"]) == 7 + 5
    assert one_by_one["promises"][0][1:] == ("kept", Decimal("12.34"))
    assert len(by_row_calls) == 5
    assert calls == [set().union(*by_row_calls)]
    assert calls == [{acme.pk, Customer.objects.get(external_ref="ACME-EU").pk, book[2].pk}]
    assert ledger_discrepancies() == []


def test_a_payment_received_before_its_invoice_was_issued_is_refused_on_its_row(book):
    issued = Invoice.objects.get(number="INV-2").issue_date
    early = issued - days(1)
    rows = [
        ("PAY-1", "ACME", str(issued), "10.00", "USD", "INV-1"),
        ("PAY-2", "ACME", str(early), "10.00", "USD", "INV-2"),
        ("PAY-3", "ACME", str(early), "10.00", "USD", "INV-2"),
    ]
    before = ledger_state()

    with pytest.raises(ImportRejected) as refused:
        import_payments(_file(rows))

    assert [(e.row, e.column, e.reason) for e in refused.value.errors] == [
        (
            3,
            "received_date",
            f"effective date {early} is before invoice INV-2 was issued ({issued})",
        )
    ]
    assert ledger_state() == before


def test_a_future_payment_is_refused_as_payment_post_refuses_it(book):
    tomorrow = timezone.localdate() + days(1)

    with pytest.raises(ImportRejected) as refused:
        import_payments(_file([("PAY-1", "ACME", str(tomorrow), "10.00", "USD", "INV-1")]))

    assert [(e.row, e.column, e.reason) for e in refused.value.errors] == [
        (
            2,
            "received_date",
            f"received date {tomorrow} is in the future (today is {timezone.localdate()})",
        )
    ]
    assert not Payment.objects.exists()


def _new(customer, reference: str, amount: str, invoice_number: str | None = None, **kw):
    allocation = None
    if invoice_number:
        named = Invoice.objects.get(number=invoice_number)
        allocation = Allocation(invoice_id=named.pk, amount=Decimal(kw.pop("apply", amount)))
    return NewPayment(
        customer=customer,
        reference=reference,
        received_date=kw.pop("received_date", timezone.localdate()),
        amount=amount,
        allocation=allocation,
        **kw,
    )


def test_an_allocation_beyond_what_earlier_payments_left_open_is_refused_by_position(book):
    acme = book[0]
    before = ledger_state()

    with pytest.raises(ServiceError) as refused:
        payment_post_many(
            actor=None,
            payments=[
                _new(acme, "PAY-1", "70.00", "INV-1"),
                _new(acme, "PAY-2", "5.00"),
                _new(acme, "PAY-3", "40.00", "INV-1"),
            ],
        )

    assert (refused.value.field, refused.value.code, refused.value.message) == (
        "payments[2].allocations[0]",
        "over_application",
        "40.00 exceeds the open balance 30.00 of invoice INV-1",
    )
    assert ledger_state() == before
    assert ledger_discrepancies() == []


@pytest.mark.parametrize(
    ("references", "refused_at"), [(["PAY-1", "NEW", "NEW"], 2), (["NEW", "BOOKED"], 1)]
)
def test_a_reference_booked_or_twice_in_the_batch_is_a_duplicate(book, references, refused_at):
    acme = book[0]
    services.payment_post(
        actor=None,
        customer=acme,
        reference="BOOKED",
        received_date=timezone.localdate(),
        amount=Decimal("1.00"),
    )
    before = ledger_state()

    with pytest.raises(ServiceError) as refused:
        payment_post_many(
            actor=None, payments=[_new(acme, ref, "1.00", "INV-1") for ref in references]
        )

    duplicate = references[refused_at]
    assert (refused.value.field, refused.value.code, refused.value.message) == (
        f"payments[{refused_at}].reference",
        "duplicate",
        f"payment {duplicate} already exists",
    )
    assert ledger_state() == before


def test_every_refusal_of_payment_post_comes_back_with_the_payments_position(book):
    acme, _, beta = book
    cases = [
        _new(acme, "", "1.00"),
        _new(acme, "A", "0"),
        _new(acme, "B", "1.005"),
        _new(acme, "C", "1.00", currency="ZZZ"),
        _new(acme, "D", "1.50", currency="JPY"),
        _new(beta, "E", "1.00", "INV-1"),
        _new(acme, "F", "1.00", "INV-1", currency="EUR"),
        _new(acme, "G", "1.00", "INV-1", apply="2.00"),
        _new(acme, "H", "1.00", "INV-1", apply="-1.00"),
        _new(acme, "I", "1.00", "INV-1", received_date=timezone.localdate() + days(1)),
        _new(acme, "J", "1.00", "INV-1", received_date=datetime.date(2020, 1, 1)),
    ]
    before = ledger_state()

    for case in cases:
        with pytest.raises(ServiceError) as by_one:
            services.payment_post(
                actor=None,
                customer=case.customer,
                reference=case.reference,
                received_date=case.received_date,
                amount=case.amount,
                currency=case.currency,
                allocations=[case.allocation] if case.allocation else [],
            )
        with pytest.raises(ServiceError) as in_batch:
            payment_post_many(actor=None, payments=[_new(acme, "OK", "1.00"), case])

        field = "payments[1]" + (f".{by_one.value.field}" if by_one.value.field else "")
        assert (in_batch.value.field, in_batch.value.code, in_batch.value.message) == (
            field,
            by_one.value.code,
            by_one.value.message,
        )
    assert ledger_state() == before


def test_queries_do_not_grow_with_the_rows(book):
    acme = book[0]
    services.invoice_create_many(
        actor=None,
        invoices=[
            services.NewInvoice(
                customer=acme,
                number=f"N-{n}",
                issue_date=datetime.date(2026, 1, 1),
                due_date=datetime.date(2026, 2, 1),
                amount="10.00",
            )
            for n in range(1500)
        ],
    )

    def rows(start: int, count: int) -> list[tuple]:
        return [
            (f"P-{n}", "ACME", "2026-02-01", "4.00", "USD", f"N-{n}" if n % 5 else "")
            for n in range(start, start + count)
        ]

    with CaptureQueriesContext(connection) as few:
        import_payments(_file(rows(0, 10)))
    with CaptureQueriesContext(connection) as many:
        import_payments(_file(rows(10, 1490)))

    assert Application.objects.count() == 1200
    assert len(many) == len(few)
    assert ledger_discrepancies() == []


def test_the_service_sends_as_many_queries_for_one_payment_as_for_fifty(book):
    acme = book[0]
    big = invoice(acme, "1000.00", number="BIG", issue_date=datetime.date(2026, 1, 1))

    def post(count: int, prefix: str) -> int:
        payments = [
            NewPayment(
                customer=acme,
                reference=f"{prefix}-{n}",
                received_date=datetime.date(2026, 2, 1),
                amount="3.00",
                allocation=Allocation(invoice_id=big.pk, amount=Decimal("3.00")),
            )
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            payment_post_many(actor=None, payments=payments)
        return len(queries)

    assert post(1, "ONE") == post(50, "FIFTY")
    big.refresh_from_db()
    assert big.open_amount == Decimal("847.00")


AMOUNT = st.integers(min_value=1, max_value=60_000)  # cents
OWNER = st.sampled_from(["PARENT", "CHILD", "OTHER"])
INVOICES = st.lists(
    st.tuples(OWNER, AMOUNT, st.integers(min_value=0, max_value=5)), min_size=1, max_size=5
)
PAYMENTS = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(min_value=0, max_value=4)),  # which invoice
        st.booleans(),  # a child's invoice paid by its parent
        AMOUNT,
        st.integers(min_value=0, max_value=45),  # received, days after the first issue date
    ),
    min_size=1,
    max_size=10,
)
FIRST_ISSUE = datetime.date(2026, 1, 1)


def _cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(invoice_specs=INVOICES, payment_specs=PAYMENTS)
def test_any_file_posts_as_payment_post_would_and_keeps_the_ledger_whole(
    invoice_specs, payment_specs
):
    with transaction.atomic():
        parent = CustomerFactory(external_ref="PARENT")
        customers = {
            "PARENT": parent,
            "CHILD": CustomerFactory(external_ref="CHILD", parent=parent),
            "OTHER": CustomerFactory(external_ref="OTHER"),
        }
        owners = []
        for n, (owner, cents, issued) in enumerate(invoice_specs):
            invoice(
                customers[owner],
                _cents(cents),
                number=f"I-{n}",
                issue_date=FIRST_ISSUE + days(issued),
            )
            owners.append(owner)
        rows = []
        for n, (which, by_parent, cents, received) in enumerate(payment_specs):
            named = which if which is not None and which < len(owners) else None
            payer = "OTHER" if named is None else owners[named]
            if payer == "CHILD" and by_parent:
                payer = "PARENT"
            number = "" if named is None else f"I-{named}"
            rows.append(
                (f"P-{n}", payer, str(FIRST_ISSUE + days(received)), _cents(cents), "USD", number)
            )

        try:
            one_by_one = rolled_back(lambda: post_one_by_one(rows, None))
            expected_refusal = None
        except RefusedOnRow as refused:
            field = (refused.error.field or "").split("[")[0]
            column = COLUMN_OF.get(field, field)
            expected_refusal = [(refused.index + 2, column, refused.error.message)]
        before = ledger_state()
        try:
            import_payments(_file(rows))
            refusal = None
        except ImportRejected as rejected:
            refusal = [(e.row, e.column, e.reason) for e in rejected.errors]

        event("refused" if refusal else "posted")
        assert refusal == expected_refusal
        if refusal is None:
            assert ledger_state() == one_by_one
        else:
            assert ledger_state() == before
        _assert_ledger_whole()
        transaction.set_rollback(True)


def _assert_ledger_whole() -> None:
    assert ledger_discrepancies() == []
    applied: dict[tuple[str, int], Decimal] = {}
    for invoice_id, payment_id, amount in Application.objects.values_list(
        "invoice", "payment", "amount"
    ):
        assert amount > 0
        for key in (("invoice", invoice_id), ("payment", payment_id)):
            applied[key] = applied.get(key, Decimal(0)) + amount
    for pk, amount, open_amount in Invoice.objects.values_list("pk", "amount", "open_amount"):
        assert 0 <= open_amount <= amount
        assert open_amount == amount - applied.get(("invoice", pk), 0)
    for pk, amount, unapplied in Payment.objects.values_list("pk", "amount", "unapplied_amount"):
        assert 0 <= unapplied <= amount
        assert unapplied == amount - applied.get(("payment", pk), 0)


def test_a_hook_refusing_at_the_end_of_the_import_refuses_the_file(book, monkeypatch):
    def refuse(customer_ids):
        raise ServiceError("the queue cannot be refreshed", field="customer")

    monkeypatch.setattr(hooks, "cash_applied_hooks", [refuse])
    before = ledger_state()

    with pytest.raises(ImportRejected) as refused:
        import_payments(_file([("PAY-1", "ACME", timezone.localdate(), "10.00", "USD", "INV-1")]))

    assert [(e.row, e.column, e.reason) for e in refused.value.errors] == [
        (None, None, "the queue cannot be refreshed")
    ]
    assert ledger_state() == before
