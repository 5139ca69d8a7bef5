"""seed_demo: the demo ledger, written once through the services, then left alone.

Seeding takes a while, so the module seeds once (twice, to prove the second run writes
nothing) inside a transaction that is rolled back when the module is done.
"""

import datetime
from dataclasses import dataclass
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEntry, Contact, Customer, ExchangeRate
from demo import DEMO_PASSWORD
from demo.logins import DEMO_USERS
from demo.seed import DEMO_CUSTOMERS, DEMO_INVOICES, demo_customer_plans
from invoices.models import Adjustment, AdjustmentKind, Application, CreditMemo, Invoice, Payment
from invoices.selectors import ledger_discrepancies
from tests.dunning.pages import ensure_dunning_defaults

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

COUNTED = [Customer, Contact, Invoice, Payment, Application, CreditMemo, Adjustment, ExchangeRate]


def _counts() -> dict[str, int]:
    counts = {model.__name__: model.objects.count() for model in COUNTED}
    counts["User"] = get_user_model().objects.count()
    counts["AuditEntry"] = AuditEntry.objects.count()
    return counts


@dataclass
class Seeded:
    first_output: str
    second_output: str
    after_first: dict[str, int]
    after_second: dict[str, int]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ensure_dunning_defaults()  # a transactional test's flush may have emptied them
            first, second = StringIO(), StringIO()
            call_command("seed_demo", stdout=first)
            after_first = _counts()
            call_command("seed_demo", stdout=second)
            # Run the deferred foreign-key checks once here, not again in every test's teardown.
            connection.check_constraints()
            yield Seeded(first.getvalue(), second.getvalue(), after_first, _counts())
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_seed_demo_creates_one_login_per_role(seeded):
    members = dict(
        Group.objects.annotate(n=Count("user")).values_list("name", "n").order_by("name")
    )

    assert members == {
        roles.ADMIN: 1,
        roles.CFO: 1,
        roles.COLLECTOR: 3,
        roles.CREDIT_MANAGER: 1,
        roles.FINANCE: 1,
        roles.RESOLVER: 1,
    }
    admin = get_user_model().objects.get(username="admin")
    assert (admin.is_staff, admin.is_superuser) == (True, True)
    others = get_user_model().objects.exclude(username="admin")
    assert list(others.filter(Q(is_staff=True) | Q(is_superuser=True))) == []


def test_every_demo_user_signs_in_with_the_demo_password(seeded):
    for spec in DEMO_USERS:
        user = authenticate(username=spec.username, password=DEMO_PASSWORD)
        assert user is not None, spec.username
        assert list(user.groups.values_list("name", flat=True)) == [spec.role]
        assert user.email == spec.email


def test_seed_demo_writes_two_hundred_customers_and_five_thousand_invoices(seeded):
    plans = demo_customer_plans()

    assert Customer.objects.count() == DEMO_CUSTOMERS == 200
    assert Invoice.objects.count() == DEMO_INVOICES == 5000
    assert Contact.objects.count() == sum(len(plan.contacts) for plan in plans)
    assert Contact.objects.filter(is_primary=True).count() == 200
    assert sorted(Customer.objects.values_list("external_ref", flat=True)) == sorted(
        plan.external_ref for plan in plans
    )


def test_running_seed_demo_twice_creates_nothing_new(seeded):
    assert seeded.after_second == seeded.after_first
    assert "already present" in seeded.second_output
    assert "already present" not in seeded.first_output


def test_the_demo_ledger_reconciles(seeded):
    assert ledger_discrepancies() == []


def test_the_ledger_has_open_partly_paid_and_paid_invoices_and_unapplied_cash(seeded):
    assert Invoice.objects.filter(open_amount=F("amount")).exists()
    assert Invoice.objects.filter(open_amount__gt=0, open_amount__lt=F("amount")).exists()
    assert Invoice.objects.filter(open_amount=0).exists()
    assert Payment.objects.filter(unapplied_amount=F("amount")).exists()
    assert Payment.objects.filter(unapplied_amount__gt=0, unapplied_amount__lt=F("amount")).exists()


def test_older_invoices_are_mostly_paid_and_recent_ones_mostly_open(seeded):
    today = timezone.localdate()
    old = Invoice.objects.filter(due_date__lt=today - datetime.timedelta(days=180))
    not_due = Invoice.objects.filter(due_date__gte=today)

    assert old.filter(open_amount=0).count() > 0.9 * old.count()
    assert not_due.filter(open_amount__gt=0).count() > 0.8 * not_due.count()
    assert 0.05 < Invoice.objects.filter(open_amount__gt=0).count() / DEMO_INVOICES < 0.2


def test_invoices_fall_due_after_their_customers_terms(seeded):
    today = timezone.localdate()
    rows = Invoice.objects.values_list(
        "issue_date",
        "due_date",
        "customer__payment_terms__net_days",
        "currency",
        "customer__currency",
    )

    for issue, due, net_days, currency, customer_currency in rows:
        assert due - issue == datetime.timedelta(days=net_days)
        assert currency == customer_currency
        assert today - datetime.timedelta(days=560) <= issue <= today
    assert set(Customer.objects.values_list("payment_terms__net_days", flat=True)) == {
        15,
        30,
        45,
        60,
    }


def test_cash_applied_at_posting_takes_effect_on_the_day_it_arrived(seeded):
    applied = Application.objects.filter(payment__isnull=False, reverses__isnull=True)

    assert applied.exclude(effective_date=F("payment__received_date")).count() == 0
    assert applied.count() > Payment.objects.count()  # some cheques settle several invoices


def test_one_bounced_cheque_is_reversed_and_its_invoice_reopened(seeded):
    (reversal,) = Application.objects.filter(reverses__isnull=False)
    original = reversal.reverses

    assert reversal.amount == -original.amount
    assert reversal.invoice.open_amount == original.amount
    assert reversal.payment.unapplied_amount == reversal.payment.amount
    assert "NSF" in reversal.note


def test_credit_memos_and_small_balance_write_offs_are_on_the_ledger(seeded):
    assert CreditMemo.objects.count() == 15
    assert CreditMemo.objects.filter(unapplied_amount=0).count() == 12
    assert CreditMemo.objects.filter(unapplied_amount=F("amount")).count() == 3
    assert Adjustment.objects.filter(kind=AdjustmentKind.SMALL_BALANCE).count() == 3
    assert Adjustment.objects.filter(amount__gt=25).count() == 0


def test_foreign_currency_customers_have_monthly_rates_over_the_whole_history(seeded):
    first_issue = Invoice.objects.order_by("issue_date").values_list("issue_date", flat=True)[0]
    foreign = set(Customer.objects.exclude(currency="USD").values_list("currency", flat=True))

    assert foreign == {"EUR", "GBP", "CAD"}
    for code in foreign:
        rates = ExchangeRate.objects.filter(currency=code, quote_currency="USD")
        assert rates.filter(valid_from__lte=first_issue).exists(), code
        assert rates.count() == 19, code


def test_parent_accounts_have_two_to_four_children_in_their_currency(seeded):
    parents = Customer.objects.annotate(n=Count("children")).filter(n__gt=0)

    assert parents.count() >= 2
    for parent in parents:
        assert 2 <= parent.n <= 4
        assert set(parent.children.values_list("currency", flat=True)) == {parent.currency_id}
        assert set(parent.children.values_list("assigned_collector", flat=True)) == {
            parent.assigned_collector_id
        }


def test_customers_are_spread_over_the_three_collectors_with_some_unassigned(seeded):
    per_collector = dict(
        Customer.objects.values_list("assigned_collector__username")
        .annotate(n=Count("id"))
        .values_list("assigned_collector__username", "n")
    )

    assert set(per_collector) == {"collector1", "collector2", "collector3", None}
    assert all(
        50 <= per_collector[name] <= 70 for name in ("collector1", "collector2", "collector3")
    )
    assert Customer.objects.filter(credit_status__in=["watch", "hold"]).exists()
    assert Customer.objects.filter(do_not_contact=True).exists()


def test_demo_customers_have_billing_addresses_and_german_companies_get_german_letters(seeded):
    from dunning.models import DunningProfile

    with_address = Customer.objects.exclude(billing_address="")
    german = set(
        DunningProfile.objects.filter(language="de").values_list("customer__name", flat=True)
    )

    assert 0.9 * DEMO_CUSTOMERS <= with_address.count() < DEMO_CUSTOMERS
    assert german
    assert all(name.endswith((" GmbH", " AG")) for name in german)
    assert all(
        "Germany" in address
        for address in Customer.objects.filter(name__in=german)
        .exclude(billing_address="")
        .values_list("billing_address", flat=True)
    )


def test_the_demo_leaves_one_dunning_run_in_preview_with_content(seeded):
    from dunning.models import DunningRun

    (run,) = DunningRun.objects.all()
    reasons = set(run.skips.values_list("reason", flat=True))

    assert (run.status, run.created_by.username) == ("preview", "credit_manager")
    assert run.communications.filter(status="planned").count() >= 10
    assert set(run.communications.values_list("channel", flat=True)) == {"email", "letter"}
    assert run.communications.filter(language="de").exists()
    assert {"customer_stop", "do_not_contact"} <= reasons


def test_a_seed_on_a_later_day_replaces_yesterday_s_preview(seeded):
    from demo.seed import seed_demo
    from dunning.models import DunningRun

    (stale,) = DunningRun.objects.all()
    DunningRun.objects.filter(pk=stale.pk).update(as_of=stale.as_of - datetime.timedelta(days=1))

    result = seed_demo(today=stale.as_of)

    stale.refresh_from_db()
    fresh = DunningRun.objects.get(status="preview")
    assert result.already_seeded
    assert stale.status == "cancelled"
    assert (fresh.as_of, fresh.created_by.username) == (
        stale.as_of + datetime.timedelta(days=1),
        "credit_manager",
    )


def test_the_demo_continues_the_previous_system_s_reminders_one_level_at_a_time(seeded):
    from dunning.models import DunningLine, InvoiceDunningStep

    lines = DunningLine.objects.filter(communication__status="planned")
    moved = lines.filter(level_number__gt=F("previous_level_number"))
    assert InvoiceDunningStep.objects.filter(source="imported").exists()
    assert not moved.exclude(level_number=F("previous_level_number") + 1).exists()
    assert moved.filter(previous_level_number__gte=1).exists()
