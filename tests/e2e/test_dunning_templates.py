"""An admin edits a dunning letter: the live preview follows the typing, then it is saved."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from dunning.defaults import ensure_dunning_defaults
from dunning.models import DunningLevel, DunningPolicy, DunningTemplate
from tests.factories import ContactFactory, CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def _defaults() -> None:
    """The shipped templates: a transactional test starts from a flushed database."""
    ensure_dunning_defaults(DunningTemplate, DunningPolicy, DunningLevel)


def _overdue_customer():
    customer = CustomerFactory(
        name="Northwind Packaging Co.", billing_address="4 Harbour Road\nPortsmouth PO1 2AB"
    )
    ContactFactory(customer=customer, name="Dana Reyes", is_primary=True)
    issue = timezone.localdate() - datetime.timedelta(days=70)
    invoice(customer, "48200.00", number="INV-100231", issue_date=issue, due_days=30)
    invoice(customer, "3100.00", number="INV-100377", issue_date=issue, due_days=45)
    return customer


def _log_in(page, next_url: str) -> None:
    page.goto(next_url)
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_admin_edits_a_template_with_a_live_preview_and_saves(page, screenshot):
    _defaults()
    user_in_role(roles.ADMIN, "ada")
    customer = _overdue_customer()
    template = DunningTemplate.objects.get(code="friendly_reminder", language="en")

    _log_in(page, "/dunning/templates/")
    screenshot("dunning_template_list")
    page.locator("tr", has_text="friendly_reminder").get_by_role("link", name="en").click()
    page.wait_for_url(f"**/dunning/templates/{template.pk}/")

    preview = page.frame_locator("iframe.letter-preview")
    preview.get_by_text("Sample Trading Ltd").first.wait_for()

    page.get_by_label("Preview for").select_option(
        label=f"{customer.name} ({customer.external_ref})"
    )
    page.wait_for_function(
        "() => document.querySelector('.preview-for')?.textContent.includes('Northwind')"
    )
    assert "INV-100231" in page.frame_locator("iframe.letter-preview").locator("body").inner_text()

    body = page.get_by_label("Body")
    body.fill(
        template.body.replace(
            "Perhaps they have crossed with your payment",
            "We count {{ invoice_count }} open invoices for {{ customer.name }}",
        )
    )
    page.frame_locator("iframe.letter-preview").get_by_text(
        "We count 2 open invoices for Northwind Packaging Co."
    ).wait_for()

    body.press("End")
    body.type("{% if %}")
    page.get_by_role("alert").get_by_text("The body does not render").wait_for()
    screenshot("dunning_template_error")
    body.fill(
        template.body.replace(
            "Perhaps they have crossed with your payment",
            "We count {{ invoice_count }} open invoices for {{ customer.name }}",
        )
    )
    page.frame_locator("iframe.letter-preview").get_by_text("We count 2 open invoices").wait_for()
    screenshot("dunning_template_editor")

    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved Friendly reminder [en].").wait_for()

    template.refresh_from_db()
    assert "We count {{ invoice_count }} open invoices for {{ customer.name }}" in template.body
