"""An account with more open items than one window: "Show more" appends the next rows in
place, and selecting one of them still fills the promised amount."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles
from collections_app import services
from collections_app.workspace_views import ITEMS_PAGE_SIZE
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def test_show_more_appends_rows_that_fill_the_promise(page, screenshot):
    collector = user_in_role(roles.COLLECTOR, "collector1")
    customer = CustomerFactory(name="Many Invoices Inc.", assigned_collector=collector)
    count = ITEMS_PAGE_SIZE + 7
    for k in range(count):
        issue = timezone.localdate() - datetime.timedelta(days=30 + count - k)
        invoice(customer, f"{200 + k}.00", number=f"INV-{k + 1:04d}", issue_date=issue, due_days=30)
    services.queue_state_refresh()

    page.goto(f"/customers/{customer.pk}/")
    page.get_by_label("Username").fill("collector1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Many Invoices Inc.").wait_for()
    rows = page.locator("table.items tbody input.item-select")
    assert rows.count() == ITEMS_PAGE_SIZE
    assert page.get_by_text(f"1\u2013{ITEMS_PAGE_SIZE} of {count} shown").is_visible()

    screenshot("workspace-items-first-window")
    page.get_by_role("link", name="Show 7 more, later due").click()
    page.get_by_label(f"Select INV-{count:04d}").wait_for()

    assert rows.count() == count
    assert page.locator("tr.more-items").count() == 0
    assert page.url.endswith(f"/customers/{customer.pk}/")
    page.get_by_label(f"Select INV-{count:04d}").check()
    page.get_by_label("Select INV-0001").check()
    expected = Decimal("200.00") + Decimal(f"{200 + count - 1}.00")
    assert page.locator("#id_promise-amount").input_value() == f"{expected:.2f}"
    screenshot("workspace-items-show-more")
