"""A credit manager whose authority covers the limit approves a new customer's credit
application from the inbox; the account exists with the limit and terms decided."""

import pytest

from accounts import roles
from accounts.models import Customer, PaymentTerms
from credit import services
from credit.applications import credit_application_submit
from tests.factories import user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def test_credit_manager_approves_an_application_from_the_inbox(page, screenshot):
    carla = user_in_role(roles.CREDIT_MANAGER, "carla")
    sam = user_in_role(roles.CREDIT_MANAGER, "sam")
    services.credit_authority_set(actor=None, user=carla, amount="100000.00", currency="USD")
    services.credit_authority_set(actor=None, user=sam, amount="500000.00", currency="USD")
    credit_application_submit(
        actor=carla,
        company_name="Harbor Freight Supply",
        external_ref="HFS-001",
        registration_number="HRB 12345",
        address="1 Dock Road\nPortsmouth",
        contact_name="Pat Payables",
        contact_email="ap@harbor.example",
        trade_references="Acme Metals, J. Smith, 4 years, 20k\nBolt & Co, 2 years, 5k",
        bank_reference="First Bank: satisfactory for 50k",
        currency="USD",
        requested_limit="150000.00",
        requested_terms=PaymentTerms.objects.get(net_days=45),
    )

    page.goto("/credit/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Harbor Freight Supply").click()

    form = page.get_by_role("form", name="Decide the application")
    form.get_by_label("Approve").check()
    form.get_by_label("Limit granted").fill("120,000.00")
    form.get_by_label("Terms granted").select_option(label="Net 30")
    form.get_by_label("Reason for the decision").fill("References good; 120k to start")
    screenshot("credit-application-decide")
    form.get_by_role("button", name="Record decision").click()

    page.get_by_text("Decision recorded.").wait_for()
    assert page.locator("#decision").inner_text().startswith("Approved: limit 120,000.00 USD")
    customer = Customer.objects.get(external_ref="HFS-001")
    assert (str(customer.credit_limit), customer.payment_terms.net_days) == ("120000.00", 30)
    screenshot("credit-application-approved")
