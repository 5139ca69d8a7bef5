"""generate_data: the bulk loader, at a small scale, on PostgreSQL."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from accounts import roles
from accounts.models import Contact, Customer
from demo import bulk
from demo.shape import HISTORY_DAYS, LedgerPlanner, plan_customers
from invoices.models import Application, Invoice, Payment
from invoices.selectors import ledger_discrepancies
from tests.factories import CustomerFactory, invoice

pytestmark = pytest.mark.django_db

SMALL = ["--customers", "40", "--invoices", "1500", "--collectors", "4"]


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate_data", *SMALL, *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in [Customer, Contact, Invoice, Payment, Application]
    }


def ledger_schema() -> list[tuple]:
    """The indexes and foreign keys of the ledger tables, as the catalog has them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [bulk.BULK_TABLES],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [bulk.BULK_TABLES],
        )
        return indexes + cursor.fetchall()


def test_generate_data_writes_exactly_what_was_asked_and_what_was_planned():
    plans = plan_customers(
        seed=bulk.DEFAULT_SEED, count=40, ref_format=bulk.CUSTOMER_REF, collectors=4
    )
    planner = LedgerPlanner(
        seed=bulk.DEFAULT_SEED,
        today=timezone.localdate(),
        customers=plans,
        invoice_format=bulk.INVOICE_NUMBER,
        payment_format=bulk.PAYMENT_REF,
    )
    chunks = list(planner.chunks(1500, bulk.CHUNK_ROWS))
    payments = [payment for chunk in chunks for payment in chunk.payments]
    invoices = [invoice for chunk in chunks for invoice in chunk.invoices]

    output = generate()

    assert counts() == {
        "Customer": 40,
        "Contact": sum(len(plan.contacts) for plan in plans),
        "Invoice": 1500,
        "Payment": len(payments),
        "Application": sum(len(p.allocations) for p in payments if p.applied),
    }
    assert Contact.objects.filter(is_primary=True).count() == 40
    assert Invoice.objects.filter(open_amount__gt=0).count() == sum(
        1 for invoice in invoices if invoice.open
    )
    assert "rows/s" in output
    assert f"Generated {sum(counts().values()):,} rows" in output


def test_generated_rows_carry_the_gen_prefix_and_the_demo_shape():
    today = timezone.localdate()
    generate()

    assert Customer.objects.exclude(external_ref__startswith="GEN-C").count() == 0
    assert Invoice.objects.exclude(number__startswith="GEN-I").count() == 0
    assert Payment.objects.exclude(reference__startswith="GEN-P").count() == 0
    rows = Invoice.objects.values_list(
        "issue_date",
        "due_date",
        "customer__payment_terms__net_days",
        "currency",
        "customer__currency",
        "amount",
    )
    for issue, due, net_days, currency, customer_currency, amount in rows:
        assert due - issue == datetime.timedelta(days=net_days)
        assert currency == customer_currency
        assert today - datetime.timedelta(days=HISTORY_DAYS + 2) <= issue <= today
        assert amount >= Decimal("25.00")
    assert set(Customer.objects.values_list("payment_terms__net_days", flat=True)) <= {
        15,
        30,
        45,
        60,
    }
    applied = Application.objects.all()
    assert applied.exclude(effective_date=F("payment__received_date")).count() == 0
    assert applied.filter(effective_date__gt=today).count() == 0


def test_about_a_tenth_of_the_generated_invoices_are_open():
    generate()

    open_share = Invoice.objects.filter(open_amount__gt=0).count() / 1500

    assert 0.05 <= open_share <= 0.2
    assert Invoice.objects.filter(open_amount=0).exists()
    assert Invoice.objects.filter(open_amount__gt=0, open_amount__lt=F("amount")).exists()
    assert Payment.objects.filter(unapplied_amount__gt=0).exists()


def test_the_generated_ledger_reconciles():
    generate()

    assert ledger_discrepancies() == []


def test_customers_go_round_robin_to_the_generated_collectors():
    generate()

    collectors = get_user_model().objects.filter(username__startswith="gen_collector")
    assert sorted(collectors.values_list("username", flat=True)) == [
        "gen_collector01",
        "gen_collector02",
        "gen_collector03",
        "gen_collector04",
    ]
    groups = collectors.values_list("groups__name", flat=True).distinct()
    assert list(groups) == [roles.COLLECTOR]
    per_collector = Customer.objects.values("assigned_collector").annotate(n=Count("id")).order_by()
    assert Customer.objects.filter(assigned_collector__isnull=True).count() == 0
    assert sorted(row["assigned_collector"] for row in per_collector) == sorted(
        collectors.values_list("pk", flat=True)
    )


def test_truncate_then_rerun_gives_the_same_counts_and_keeps_other_data():
    mine = CustomerFactory(external_ref="ERP-1")
    kept = invoice(mine, "120.00", number="ERP-INV-1")
    generate()
    first = counts()

    output = generate("--truncate")

    assert counts() == first
    assert "removed earlier generated rows" in output
    kept.refresh_from_db()
    assert kept.open_amount == Decimal("120.00")
    assert ledger_discrepancies() == []


def test_a_second_run_without_truncate_is_refused_and_changes_nothing():
    generate()
    before = counts()

    with pytest.raises(CommandError, match="--truncate"):
        generate()

    assert counts() == before


def test_applications_are_append_only_again_after_truncate():
    generate()
    generate("--truncate")
    application = Application.objects.first()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(note="edited")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Application.objects.filter(pk=application.pk).delete()


def test_a_large_load_rebuilds_exactly_the_indexes_and_foreign_keys_it_dropped(monkeypatch):
    before = ledger_schema()
    monkeypatch.setattr(bulk, "REBUILD_FROM_INVOICES", 1000)

    output = generate()

    assert "indexes and foreign keys rebuilt" in output
    assert ledger_schema() == before
    assert ledger_discrepancies() == []
