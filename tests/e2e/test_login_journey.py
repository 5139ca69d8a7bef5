"""A collector logs in, finds their customer, opens an invoice, and logs out."""

import datetime

import pytest

from accounts import roles
from tests.factories import ContactFactory, CustomerFactory, invoice, payment, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def test_collector_logs_in_and_works_only_their_own_accounts(page, screenshot):
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    mine = CustomerFactory(name="Northwind Packaging Co.", assigned_collector=alice)
    CustomerFactory(name="Bluewater Logistics GmbH", assigned_collector=bob)
    ContactFactory(customer=mine, name="Dana Reyes", email="ap@northwind.example")
    overdue = invoice(mine, "12500.00", number="INV-100231", issue_date=datetime.date(2026, 6, 1))
    invoice(mine, "800.00", number="INV-100232", issue_date=datetime.date(2026, 10, 1))
    payment(mine, "2500.00", reference="CHK-5521", received_date=datetime.date(2026, 7, 20))

    page.goto("/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot("login")
    page.get_by_role("button", name="Log in").click()

    # a collector starts the day on the call queue; the customer list is one click away
    page.wait_for_url("**/queue/")
    page.get_by_role("link", name="Customers").click()
    page.wait_for_url("**/customers/")
    assert page.get_by_role("link", name="Northwind Packaging Co.").is_visible()
    assert page.get_by_text("Bluewater Logistics GmbH").count() == 0
    assert page.get_by_role("link", name="Admin").count() == 0
    screenshot("customer_list")

    page.get_by_role("link", name="Northwind Packaging Co.").click()
    page.wait_for_url(f"**/customers/{mine.pk}/")
    assert page.get_by_role("link", name="ap@northwind.example").get_attribute("href") == (
        "mailto:ap@northwind.example"
    )
    assert page.locator(".tile", has_text="Open (2 invoices)").inner_text() == (
        "Open (2 invoices)\n13,300.00 USD"
    )
    assert page.locator(".tile", has_text="Unapplied cash").inner_text() == (
        "Unapplied cash\n2,500.00 USD"
    )
    screenshot("customer_detail")

    page.get_by_role("link", name="INV-100231").click()
    page.wait_for_url(f"**/invoices/{overdue.pk}/")
    assert page.get_by_role("heading", name="Invoice INV-100231").is_visible()
    screenshot("invoice_detail")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")
    page.goto(f"/customers/{mine.pk}/")
    assert page.url.endswith(f"/login/?next=/customers/{mine.pk}/")
