"""A dispute from the workspace to its credit memo: the collector raises one over two
invoices, each with its own amount, and routes it; its owner reviews it and resolves it
with credit, which the ledger books against both invoices."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles
from collections_app import services
from disputes.models import Dispute
from invoices.models import CreditMemo, Invoice
from invoices.selectors import ledger_discrepancies
from tests.factories import ContactFactory, CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def _overdue(customer, amount, days_late, number):
    issue = timezone.localdate() - datetime.timedelta(days=days_late + 30)
    return invoice(customer, amount, number=number, issue_date=issue, due_days=30)


def _log_in(page, username, next_url):
    page.goto(next_url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/**")


def test_a_collector_raises_a_dispute_on_two_invoices_and_its_owner_credits_it(page, screenshot):
    collector1 = user_in_role(roles.COLLECTOR, "collector1")
    user_in_role(roles.CREDIT_MANAGER, "carla")
    northwind = CustomerFactory(name="Northwind Packaging Co.", assigned_collector=collector1)
    ContactFactory(customer=northwind, name="Dana Reyes", email="ap@northwind.example")
    a = _overdue(northwind, "4800.00", 45, "INV-100231")
    b = _overdue(northwind, "3100.00", 12, "INV-100377")
    services.queue_state_refresh()

    # the collector raises it from the workspace
    _log_in(page, "collector1", f"/customers/{northwind.pk}/")
    page.get_by_label("Select INV-100231").check()
    page.get_by_label("Select INV-100377").check()
    page.get_by_text("Raise a dispute").click()
    page.locator("#id_dispute-reason_code").select_option(label="Quantity / short shipment")
    page.locator("#id_dispute-amounts").fill("INV-100231 1200.00; INV-100377 300.00")
    page.locator("#id_dispute-note").fill("Two pallets short on both deliveries")
    page.get_by_role("button", name="Open dispute").click()
    page.get_by_text("Dispute of 1,500.00 USD opened.").wait_for()
    screenshot("dispute_raised_in_workspace")
    dispute = Dispute.objects.get()
    assert sorted(dispute.lines.values_list("invoice__number", "amount")) == [
        ("INV-100231", Decimal("1200.00")),
        ("INV-100377", Decimal("300.00")),
    ]

    # ... finds it on the list and routes it to its owner
    page.goto("/disputes/")
    page.get_by_role("link", name=f"D-{dispute.pk}").wait_for()
    screenshot("disputes_list")
    page.get_by_role("link", name=f"D-{dispute.pk}").click()
    page.locator("#id_assignee").select_option(label="carla")
    page.get_by_role("button", name="Route").click()
    page.get_by_text("Routing saved.").wait_for()
    _log_out(page)

    # the owner reviews it and resolves it with credit
    _log_in(page, "carla", f"/disputes/{dispute.pk}/")
    page.get_by_role("button", name="Start review").click()
    page.get_by_text("is now in review").wait_for()
    screenshot("dispute_in_review")
    page.locator("#resolve-form select[name=outcome]").select_option("credit_issued")
    page.locator("#resolve-form input[name=note]").fill("POD confirms the short shipment")
    page.locator("#resolve-form").get_by_role("button", name="Resolve").click()
    page.get_by_text("is now resolved").wait_for()
    assert "Credit issued" in page.locator("#dispute-status").inner_text()
    history = page.locator("#history").inner_text()
    assert f"credit memo CM-D{dispute.pk}-1 of 1,500.00 USD" in history
    screenshot("dispute_resolved_with_credit")

    memo = CreditMemo.objects.get()
    assert (memo.amount, memo.unapplied_amount) == (Decimal("1500.00"), Decimal("0.00"))
    assert [Invoice.objects.get(pk=i.pk).open_amount for i in (a, b)] == [
        Decimal("3600.00"),
        Decimal("2800.00"),
    ]
    assert ledger_discrepancies() == []


def test_a_sales_resolver_proposes_a_credit_the_credit_manager_approves_it(page, screenshot):
    """Bulk-routed to sales, the resolver comments and proposes a partial credit; the
    credit manager approves it and the credit memo appears on the account."""
    from disputes.models import DepartmentMember
    from disputes.services import dispute_open

    collector1 = user_in_role(roles.COLLECTOR, "collector1")
    user_in_role(roles.CREDIT_MANAGER, "carla")
    sid = user_in_role(roles.RESOLVER, "sid")
    DepartmentMember.objects.create(user=sid, department="sales")
    northwind = CustomerFactory(name="Northwind Packaging Co.", assigned_collector=collector1)
    a = _overdue(northwind, "4800.00", 45, "INV-100231")
    b = _overdue(northwind, "3100.00", 12, "INV-100377")
    first = dispute_open(
        actor=collector1,
        customer=northwind,
        invoice_ids=[a.pk],
        amounts={a.pk: Decimal("900.00")},
        reason_code="quality",
    )
    second = dispute_open(
        actor=collector1,
        customer=northwind,
        invoice_ids=[b.pk],
        amounts={b.pk: Decimal("250.00")},
        reason_code="other",
    )

    # the collector routes both to sales and to sid at once
    _log_in(page, "collector1", "/disputes/")
    page.get_by_label(f"Select D-{first.pk}").check()
    page.get_by_label(f"Select D-{second.pk}").check()
    page.locator("#bulk-assign select[name=department]").select_option(label="Sales")
    page.locator("#bulk-assign select[name=assignee]").select_option(label="sid")
    screenshot("disputes_bulk_assign")
    page.locator("#bulk-assign").get_by_role("button", name="Assign").click()
    page.get_by_text("2 disputes assigned.").wait_for()
    assert set(Dispute.objects.values_list("department", "assignee__username")) == {
        ("sales", "sid")
    }
    _log_out(page)

    # the sales resolver comments and proposes a partial credit
    _log_in(page, "sid", f"/disputes/{first.pk}/")
    page.get_by_role("textbox", name="Internal comment").fill(
        "Batch 7 had the wrong coating; 600 is fair"
    )
    page.get_by_role("button", name="Comment").click()
    page.get_by_text("Batch 7 had the wrong coating").wait_for()
    form = page.locator("#propose-form")
    form.locator("select[name=outcome]").select_option("partial_credit")
    form.locator("input[name=note]").fill("Coating defect on batch 7")
    form.locator(f"input[name=credit_{a.pk}]").fill("600.00")
    form.get_by_role("button", name="Propose").click()
    page.get_by_text("Credit proposed; waiting for approval.").wait_for()
    screenshot("dispute_credit_proposed")
    assert CreditMemo.objects.count() == 0
    _log_out(page)

    # the credit manager approves it: the credit memo is issued and applied
    _log_in(page, "carla", f"/disputes/{first.pk}/")
    page.get_by_role("button", name="Approve and issue the credit memo").click()
    page.get_by_text(f"credit memo CM-D{first.pk}-1 issued and applied").wait_for()
    assert "Partial credit" in page.locator("#dispute-status").inner_text()
    screenshot("dispute_credit_approved")
    memo = CreditMemo.objects.get()
    assert (memo.number, memo.amount) == (f"CM-D{first.pk}-1", Decimal("600.00"))
    assert Invoice.objects.get(pk=a.pk).open_amount == Decimal("4200.00")
    assert ledger_discrepancies() == []

    # ... and it is on the account's ledger: the invoice shows the credit memo applied
    page.goto(f"/invoices/{a.pk}/")
    page.get_by_text(f"credit memo CM-D{first.pk}-1").wait_for()
    screenshot("invoice_with_dispute_credit_memo")
    # ... and on the account's page: the timeline says which memo went where, and the
    # invoice's open amount is what is left
    page.goto(f"/customers/{northwind.pk}/")
    line = page.locator("ol.timeline li", has_text=f"Credit memo CM-D{first.pk}-1")
    assert (
        f"Credit memo CM-D{first.pk}-1 of 600.00 USD applied to INV-100231: dispute "
        f"{first.pk} resolved, partial credit"
    ) in line.inner_text()
    assert "4,200.00" in page.locator("tr", has_text="INV-100231").first.inner_text()
    # the tile and the line above it agree: 250 of INV-100377 is in dispute, not all of it
    tile = page.locator(".tiles > *", has_text="Collectable overdue").inner_text()
    assert "7,050.00 USD" in tile
    assert "7,050 USD collectable overdue" in page.locator("#workspace").inner_text()
    screenshot("workspace_with_dispute_credit_memo")

    # the reports: the Pareto chart drawn
    page.goto("/disputes/reports/")
    page.locator("body[data-charts-drawn=true]").wait_for()
    screenshot("dispute_reports")
