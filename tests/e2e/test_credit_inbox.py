"""A credit manager works the credit inbox: decides an escalation, then changes one limit
within their authority and one above it (forwarded to a colleague whose authority covers it)."""

from decimal import Decimal

import pytest

from accounts import roles
from accounts.models import Customer
from collections_app.models import Escalation
from collections_app.services import escalation_raise
from credit import services
from credit.models import LimitChangeRequest
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def _book():
    collector = user_in_role(roles.COLLECTOR, "collector1")
    carla = user_in_role(roles.CREDIT_MANAGER, "carla")
    sam = user_in_role(roles.CREDIT_MANAGER, "sam")
    services.credit_authority_set(actor=None, user=carla, amount="100000.00", currency="USD")
    services.credit_authority_set(actor=None, user=sam, amount="500000.00", currency="USD")
    northwind = CustomerFactory(
        name="Northwind Packaging Co.",
        assigned_collector=collector,
        credit_limit=Decimal("40000.00"),
    )
    bluewater = CustomerFactory(
        name="Bluewater Logistics", assigned_collector=collector, credit_limit=Decimal("20000.00")
    )
    invoice(northwind, "48200.00", number="INV-100231")
    invoice(bluewater, "9800.00", number="INV-200114")
    escalation_raise(
        actor=collector, customer=northwind, reason="Over the limit and refuses to pay INV-100231"
    )
    services.risk_scores_refresh()
    return northwind, bluewater


def _log_in(page, next_url):
    page.goto(next_url)
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_credit_manager_decides_an_escalation_and_changes_limits(page, screenshot):
    northwind, bluewater = _book()

    _log_in(page, "/credit/")
    page.get_by_role("heading", name="Credit inbox").wait_for()
    assert page.get_by_role("link", name="Credit (1)").count() == 1
    screenshot("credit-inbox")

    page.get_by_role("link", name="Northwind Packaging Co.").click()
    page.get_by_role("heading", name="Open escalation").wait_for()
    assert page.locator("#exposure").inner_text() == "48,200.00 USD"
    assert page.locator("#risk-class").inner_text() == "Medium"
    assert page.locator("#risk-factors li").all_inner_texts() == [
        "over its credit limit (121% used)"
    ]
    screenshot("credit-page-escalation")

    decision = page.get_by_role("form", name="Decide the escalation")
    decision.get_by_label("Decision").select_option("hold")
    decision.get_by_label("Reason").select_option("payment_behaviour")
    decision.get_by_label("Comment").fill("No deliveries until INV-100231 is paid")
    decision.get_by_label("Comment").press("Tab")
    page.keyboard.press("Enter")  # the submit button is next in the tab order

    page.get_by_text("Escalation decided and closed.").wait_for()
    assert page.get_by_text("Nothing is waiting for a credit decision.").count() == 1
    assert page.get_by_role("link", name="Credit", exact=True).count() == 1
    assert Escalation.objects.get().status == "resolved"
    assert Customer.objects.get(pk=northwind.pk).credit_status == "hold"

    page.goto(f"/credit/customers/{bluewater.pk}/")
    limit = page.get_by_role("form", name="Change credit limit")
    limit.get_by_label("New limit").fill("60,000.00")
    limit.get_by_label("Reason").select_option("financial_statements")
    limit.get_by_role("button", name="Change limit").click()
    page.get_by_text("Credit limit is now 60,000.00 USD.").wait_for()
    assert page.locator("#credit-limit").inner_text() == "60,000.00 USD"

    limit = page.get_by_role("form", name="Change credit limit")
    limit.get_by_label("New limit").fill("250000")
    limit.get_by_label("Reason").select_option("management_decision")
    limit.get_by_label("Comment").fill("Framework contract signed")
    limit.get_by_role("button", name="Change limit").click()
    page.get_by_text("the request was forwarded to sam").wait_for()
    page.get_by_role("heading", name="Limit change request").wait_for()
    screenshot("credit-limit-forwarded")

    request = LimitChangeRequest.objects.get()
    assert (request.requested_limit, request.assigned_to.username) == (
        Decimal("250000.00"),
        "sam",
    )
    assert Customer.objects.get(pk=bluewater.pk).credit_limit == Decimal("60000.00")
    page.goto("/credit/")
    assert page.get_by_role("link", name="Credit (1)").count() == 1
    screenshot("credit-inbox-request")

    page.goto(f"/customers/{bluewater.pk}/")
    page.get_by_role("heading", name="Credit", exact=True).wait_for()
    screenshot("credit-workspace-panel")
