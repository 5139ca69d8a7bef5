"""A collector works the queue: by mouse with a promise, and by keyboard alone."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from collections_app import services
from tests.factories import ContactFactory, CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def _overdue(customer, amount, days_late, number):
    issue = timezone.localdate() - datetime.timedelta(days=days_late + 30)
    return invoice(customer, amount, number=number, issue_date=issue, due_days=30)


def _portfolio():
    collector1 = user_in_role(roles.COLLECTOR, "collector1")
    other = user_in_role(roles.COLLECTOR, "collector2")
    northwind = CustomerFactory(name="Northwind Packaging Co.", assigned_collector=collector1)
    bluewater = CustomerFactory(name="Bluewater Logistics", assigned_collector=collector1)
    harbor = CustomerFactory(name="Harbor Freight Supply", assigned_collector=collector1)
    CustomerFactory(name="Someone Else Ltd", assigned_collector=other)
    ContactFactory(customer=northwind, name="Dana Reyes", email="ap@northwind.example")
    _overdue(northwind, "48200.00", 75, "INV-100231")
    _overdue(northwind, "3100.00", 12, "INV-100377")
    _overdue(bluewater, "9800.00", 40, "INV-200114")
    _overdue(harbor, "2300.00", 20, "INV-300051")
    services.queue_state_refresh()
    return northwind, bluewater, harbor


def _log_in(page, next_url="/queue/"):
    page.goto(next_url)
    page.get_by_label("Username").fill("collector1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _queue_names(page):
    return page.locator("table.queue tr.queue-row td:nth-child(2) a").all_inner_texts()


def test_collector_logs_a_promise_and_the_account_moves_down_the_queue(page, screenshot):
    northwind, _bluewater, _harbor = _portfolio()

    _log_in(page)
    page.get_by_role("heading", name="Call queue").wait_for()
    page.wait_for_load_state("load")
    assert _queue_names(page) == [
        "Northwind Packaging Co.",
        "Bluewater Logistics",
        "Harbor Freight Supply",
    ]
    assert page.get_by_text("Someone Else Ltd").count() == 0
    first_why = page.locator("table.queue tr.queue-row").first.locator("td.why").inner_text()
    assert first_why.startswith("51,300 USD collectable overdue, oldest ")
    assert "48,200 USD of it over 60 days" in first_why
    screenshot("collector_queue")

    page.get_by_role("link", name="Northwind Packaging Co.").click()
    page.wait_for_url(f"**/customers/{northwind.pk}/?*")
    assert page.get_by_role("link", name="ap@northwind.example").get_attribute("href") == (
        "mailto:ap@northwind.example"
    )
    page.get_by_label("Select INV-100231").check()
    promised_by = timezone.localdate() + datetime.timedelta(days=5)
    page.locator("#id_call-outcome").select_option("promised")
    page.locator("#id_call-contact").select_option(label="Dana Reyes")
    page.locator("#id_call-note").fill("AP will release a payment run on Friday")
    # the promised amount is the selected invoice's open amount until the collector types
    assert page.locator("#id_call-promise_amount").input_value() == "48200.00"
    page.locator("#id_call-promise_date").fill(promised_by.isoformat())
    page.get_by_role("button", name="Log call").click()

    page.get_by_text("Call logged with a promise of 48,200.00 USD").wait_for()
    timeline = page.locator("ol.timeline li").all_inner_texts()
    assert "Call with Dana Reyes: Promised to pay" in timeline[0] + timeline[1]
    assert page.locator("tr", has_text="INV-100231").locator(".badge").inner_text() == "promised"
    screenshot("collector_workspace")

    page.get_by_role("link", name="← Queue").click()
    page.wait_for_url("**/queue/")
    assert _queue_names(page) == [
        "Bluewater Logistics",
        "Harbor Freight Supply",
        "Northwind Packaging Co.",
    ]
    last_why = page.locator("table.queue tr.queue-row").last.locator("td.why").inner_text()
    assert f"waiting on promise due {promised_by:%b %d}" in last_why
    screenshot("collector_queue_after_promise")


def test_collector_works_the_queue_by_keyboard_alone(page, screenshot):
    _northwind, bluewater, harbor = _portfolio()

    page.goto("/queue/")
    page.get_by_label("Username").wait_for()
    page.keyboard.type("collector1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Call queue").wait_for()
    page.wait_for_load_state("load")

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert page.locator("tr.queue-row.selected td:nth-child(2) a").inner_text() == (
        "Northwind Packaging Co."
    )
    page.keyboard.press("j")
    screenshot("collector_queue_keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{bluewater.pk}/?*")
    page.wait_for_load_state("load")

    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "id_call-contact"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_call-outcome"
    page.keyboard.press("ArrowDown")
    assert page.locator("#id_call-outcome").input_value() == "no_answer"
    page.keyboard.press("Tab")
    page.keyboard.type("Rang twice")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Log call"
    page.keyboard.press("Enter")
    page.get_by_text("Call logged.").wait_for()

    page.keyboard.press("n")
    page.wait_for_url(f"**/customers/{harbor.pk}/?*")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Harbor Freight Supply")
    screenshot("collector_workspace_keyboard")
