"""A credit manager adds a hold rule on its page; the nightly evaluation puts an account on
hold, and the account's credit page says which rule fired and why."""

from decimal import Decimal

import pytest

from accounts import roles
from accounts.models import Customer
from credit.hold_rules import hold_rules_evaluate
from credit.models import HoldRule
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def test_credit_manager_adds_a_rule_that_puts_an_account_on_hold(page, screenshot):
    user_in_role(roles.CREDIT_MANAGER, "carla")
    northwind = CustomerFactory(name="Northwind Packaging Co.", credit_limit=Decimal("40000.00"))
    invoice(northwind, "52000.00", number="INV-100231")

    page.goto("/credit/rules/")
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Hold rules").wait_for()

    form = page.get_by_role("form", name="Hold rule")
    form.get_by_label("Name").fill("Far over limit")
    form.get_by_label("Checks").select_option("over_limit")
    form.get_by_label("Then").select_option("hold")
    form.get_by_label("% over the limit").fill("20")
    form.get_by_label("Lift the hold or watch when the condition clears").check()
    form.get_by_role("button", name="Save rule").click()

    page.get_by_text("Rule “Far over limit” saved.").wait_for()
    assert page.get_by_role("cell", name="exposure more than 20% over the limit").count() == 1
    assert HoldRule.objects.get().lift_when_clear is True
    screenshot("credit-hold-rules")

    hold_rules_evaluate()
    page.goto(f"/credit/customers/{northwind.pk}/")
    page.get_by_role("heading", name="Hold rules that fired").wait_for()
    assert page.locator("#credit-status").inner_text() == "Credit hold"
    assert (
        page.get_by_role(
            "cell", name="exposure 52,000.00 USD is 130% of the limit 40,000.00 USD", exact=True
        ).count()
        == 1
    )
    assert Customer.objects.get(pk=northwind.pk).credit_status == "hold"
    screenshot("credit-page-rule-fired")
