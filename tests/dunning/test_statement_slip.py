"""Issue 11, visual: the remittance slip never sits alone on a page — it stays with the
end of the statement (the last open items, the totals and the aging), whatever the length."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from collections_app.services import statement_pdf
from tests.collections_app.workflow import account, collector, overdue_invoice

pytestmark = pytest.mark.django_db


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture
def customer():
    return account(collector("cora"), "Harbor Freight Partners", billing_address="9 Dock Rd\nPort")


@pytest.mark.parametrize("items", range(14, 34, 2))
def test_the_slip_shares_its_page_with_the_end_of_the_statement(customer, items):
    for n in range(items):
        overdue_invoice(customer, f"{1000 + n * 37}.45", days_late=5 + n * 11, number=f"HF-{n:03d}")

    pages = _pages(statement_pdf(customer))

    with_slip = [n for n, text in enumerate(pages) if "Remittance slip" in text]
    assert with_slip == [len(pages) - 1]
    last = pages[-1]
    assert "HF-" in last, f"{items} items: the slip is on a page without any open item"
    assert "Total open USD" in last and "Aging (days past due)" in last
    found = [f"HF-{n:03d}" for n in range(items) if f"HF-{n:03d}" in "\n".join(pages)]
    assert len(found) == items  # every item still printed once the break moved
