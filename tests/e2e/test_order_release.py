"""An order arrives from the ERP held over the limit; a collector sees it but cannot release
it above their authority; the credit manager releases it over the limit with a comment."""

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from credit import services
from orders.models import Order
from tests.factories import CustomerFactory, invoice, user_in_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-for-tests-only"


def _book():
    colin = user_in_role(roles.COLLECTOR, "colin")
    carla = user_in_role(roles.CREDIT_MANAGER, "carla")
    erp = user_in_role(roles.FINANCE, "erp")
    services.credit_authority_set(actor=None, user=colin, amount="5000.00", currency="USD")
    services.credit_authority_set(actor=None, user=carla, amount="100000.00", currency="USD")
    northwind = CustomerFactory(
        external_ref="NW-001",
        name="Northwind Packaging Co.",
        assigned_collector=colin,
        credit_limit=Decimal("40000.00"),
    )
    invoice(northwind, "36000.00", number="INV-100231", issue_date=timezone.localdate())
    client = APIClient()
    client.force_authenticate(erp)
    answers = [
        client.post(
            "/api/v1/orders/",
            {
                "external_ref": ref,
                "customer": "NW-001",
                "amount": amount,
                "currency": "USD",
                "requested_ship_date": ship,
            },
            format="json",
        ).json()
        for ref, amount, ship in [
            ("SO-10045", "9000.00", "2026-12-18"),
            ("SO-10046", "2500.00", "2026-12-22"),
        ]
    ]
    return answers


def _log_in(page, username, next_url):
    page.goto(next_url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_order_arrives_held_and_the_credit_manager_releases_it(
    browser, live_server, page, screenshot
):
    big, small = _book()
    assert (big["decision"], big["exposure_after"]) == ("held", "45000.00")
    # held orders are not in the next order's exposure: 36,000 + 2,500 fits 40,000
    assert (small["decision"], small["exposure_after"]) == ("released", "38500.00")

    # the collector: sees the queue, cannot release 9,000 above a 5,000 authority
    collector = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 900}
    )
    colin = collector.new_page()
    colin.set_default_timeout(15_000)
    _log_in(colin, "colin", "/credit/releases/")
    colin.get_by_role("heading", name="Release queue").wait_for()
    colin.screenshot(path=str(_artifact("order-release-queue-collector")), full_page=True)
    assert colin.get_by_role("link", name="Releases", exact=True).count() == 1
    assert colin.get_by_text("above your authority").count() == 1
    colin.get_by_label("Select SO-10045").check()
    colin.get_by_label("Comment").fill("customer says paid")
    colin.get_by_role("button", name="Release selected").click()
    colin.get_by_text("SO-10045: 9,000.00 USD is above your release authority").wait_for()
    colin.screenshot(path=str(_artifact("order-collector-release-refused")), full_page=True)
    assert Order.objects.get(external_ref="SO-10045").status == "held"
    colin.get_by_role("link", name="SO-10045").click()
    colin.get_by_text("This order is above your release authority").wait_for()
    assert colin.get_by_role("form", name="Release the order").count() == 0
    colin.screenshot(path=str(_artifact("order-collector-above-authority")), full_page=True)
    # on the account's workspace the collector sees both open orders, the held one with why
    northwind = Order.objects.get(external_ref="SO-10045").customer
    colin.goto(f"/customers/{northwind.pk}/")
    panel = colin.locator("section.orders-panel")
    panel.get_by_role("heading", name="Open orders").wait_for()
    held = panel.locator("tr", has_text="SO-10045").inner_text()
    assert "9,000.00 USD" in held and "Held for credit review" in held
    why = panel.get_by_role("list", name="Why SO-10045 is held").inner_text()
    assert "over the limit 40,000.00 USD by 5,000.00 USD" in why
    assert "Released" in panel.locator("tr", has_text="SO-10046").inner_text()
    panel.screenshot(path=str(_artifact("order-workspace-panel")))
    collector.close()
    assert Order.objects.get(external_ref="SO-10045").status == "held"

    # the credit manager: inbox, queue, release over the limit with a comment
    _log_in(page, "carla", "/credit/")
    page.get_by_role("heading", name="Credit inbox").wait_for()
    assert page.get_by_role("link", name="Credit (1)").count() == 1
    assert page.get_by_text("Held order").count() == 1
    screenshot("order-credit-inbox")
    page.get_by_role("link", name="release queue").click()
    page.get_by_role("heading", name="Release queue").wait_for()
    screenshot("order-release-queue")

    page.get_by_role("link", name="SO-10045").click()
    release = page.get_by_role("form", name="Release the order")
    release.get_by_label("Comment").fill("Northwind paid INV-100231 by wire today")
    release.get_by_role("button", name="Release").click()
    page.get_by_text("Confirm to release it over the limit.").wait_for()
    screenshot("order-release-needs-confirmation")

    release = page.get_by_role("form", name="Release the order")
    release.get_by_label("Release over the limit").check()
    release.get_by_label("Release over the limit").press("Tab")
    page.keyboard.press("Enter")  # the submit button is next in the tab order
    page.get_by_text("Order SO-10045 released over the limit.").wait_for()
    screenshot("order-released")

    order = Order.objects.get(external_ref="SO-10045")
    assert (order.status, order.decided_by.username) == ("released", "carla")
    assert order.decisions.last().over_limit_confirmed is True
    assert page.get_by_role("link", name="Releases", exact=True).count() == 1


def _artifact(name):
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
