"""Issue 11, visual: a run over a demo-sized book stays a page one can read — each
communication's invoices folded under a one-line summary, pages of 20, the skips in pages of
25 — and the folds open from the keyboard."""

import pytest

from dunning import services as dunning
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
from tests.dunning.pages import ensure_dunning_defaults
from tests.e2e.test_dunning_run import _log_in
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEIGHT_MAX = 2200  # px at 1366 wide; the demo run was 7,300


@pytest.fixture
def big_run():
    ensure_dunning_defaults()
    owner = collector("cora")
    manager = credit_manager("carla")
    for n in range(45):
        customer = account(
            owner, f"Customer {n:02d}", billing_address=f"{n} High St\nTown\nAB1 2CD"
        )
        ContactFactory(
            customer=customer, name=f"AP {n}", email=f"ap{n}@c{n}.example", is_primary=True
        )
        for k in range(4):
            overdue_invoice(
                customer, f"{100 + n * 10 + k}.50", days_late=5 + 9 * k, number=f"C{n:02d}-{k}"
            )
    for n in range(40):
        quiet = account(owner, f"Quiet {n:02d}", do_not_contact=True)
        overdue_invoice(quiet, "75.00", days_late=12, number=f"Q{n:02d}")
    return dunning.dunning_run_start(actor=manager)


def test_a_large_run_page_is_folded_paginated_and_opens_from_the_keyboard(
    page, screenshot, big_run
):
    _log_in(page, "carla")
    page.goto(f"/dunning/runs/{big_run.pk}/")

    rows = page.locator("table.preview > tbody > tr")
    assert rows.count() == 20
    screenshot("dunning_run_large_folded")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= HEIGHT_MAX, f"the run page is {height} px tall"
    first = rows.first
    summary = first.locator("details.lines-details > summary")
    assert summary.inner_text() == "4 invoices · 408.00 USD · 4 moving up a level"
    assert not first.locator("table.lines").is_visible()
    assert page.get_by_role("navigation", name="Communication pages").is_visible()
    skips = page.locator("details.skips-details > summary")
    assert skips.inner_text() == "Who was skipped and why, 40 lines in pages of 25"
    assert not page.get_by_role("navigation", name="Skip pages").is_visible()
    assert page.get_by_role("link", name="Do not contact 40").is_visible()

    summary.focus()
    page.keyboard.press("Enter")
    lines = first.locator("table.lines")
    lines.wait_for()
    assert lines.locator("tbody tr").count() == 5  # four invoices and their total
    assert lines.locator("tr.total td.num").inner_text().endswith(" USD")
    screenshot("dunning_run_large_one_open")

    skips.focus()
    page.keyboard.press("Enter")
    assert page.locator("table.skips tbody tr:not(.group)").count() == 25
    assert page.get_by_role("navigation", name="Skip pages").is_visible()

    page.get_by_role("navigation", name="Communication pages").get_by_role(
        "link", name="Next →"
    ).click()
    page.wait_for_url("**page=2**")
    assert page.locator("table.preview > tbody > tr").count() == 20
