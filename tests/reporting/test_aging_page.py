"""/reports/aging/: summary and detail pages, right-aligned money, reach, exports form."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from tests.factories import CustomerFactory, dispute_record, invoice, user_in_role

pytestmark = pytest.mark.django_db


def test_summary_page_shows_bucket_totals_and_a_row_per_customer(client):
    finance = user_in_role(roles.FINANCE, "fin")
    acme = CustomerFactory(name="Acme")
    invoice(acme, "1234.50", issue_date=datetime.date(2026, 4, 1))
    client.force_login(finance)

    response = client.get("/reports/aging/", {"as_of": "2026-06-15"})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<td class="num"><strong>1,234.50 USD</strong></td>' in html
    assert f"customer={acme.pk}&view=detail" in html
    assert "Export" in html


def test_detail_page_lists_open_items_with_days_past_due(client):
    finance = user_in_role(roles.FINANCE, "fin")
    invoice(
        CustomerFactory(name="Acme"), "99.00", number="INV-77", issue_date=datetime.date(2026, 4, 1)
    )
    client.force_login(finance)

    response = client.get("/reports/aging/", {"as_of": "2026-06-15", "view": "detail"})

    html = response.content.decode()
    assert "INV-77" in html
    assert '<td class="num overdue">45</td>' in html
    assert "1 open items" in html


def test_detail_page_shows_the_disputed_amount_of_each_item(client):
    acme = CustomerFactory(name="Acme")
    disputed = invoice(acme, "99.00", number="INV-D", issue_date=datetime.date(2026, 4, 1))
    invoice(acme, "50.00", number="INV-N", issue_date=datetime.date(2026, 4, 2))
    dispute_record(
        acme, {disputed: "40.00"}, opened_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
    )
    client.force_login(user_in_role(roles.FINANCE, "fin"))

    html = client.get("/reports/aging/", {"as_of": "2026-06-15", "view": "detail"}).content

    assert b'<th class="num">Disputed</th>' in html
    assert b'<td class="num">99.00 USD</td>\n      <td class="num">40.00 USD</td>' in html
    assert b'<td class="num">50.00 USD</td>\n      <td class="num">\xe2\x80\x94</td>' in html


def test_a_collector_sees_only_their_portfolio_on_the_page(client):
    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    invoice(CustomerFactory(name="Alice Co", assigned_collector=alice), "10.00")
    invoice(CustomerFactory(name="Bob Co", assigned_collector=bob), "20.00")
    client.force_login(alice)

    summary = client.get("/reports/aging/", {"as_of": "2026-06-30"}).content.decode()
    detail = client.get("/reports/aging/", {"as_of": "2026-06-30", "view": "detail"})

    assert "Alice Co" in summary
    assert "Bob Co" not in summary
    assert "Bob Co" not in detail.content.decode()


def test_bad_parameters_are_a_400(client):
    client.force_login(user_in_role(roles.FINANCE, "fin"))

    assert client.get("/reports/aging/", {"as_of": "soon"}).status_code == 400


def test_the_detail_page_runs_the_same_number_of_queries_for_1_and_50_items(client):
    client.force_login(user_in_role(roles.FINANCE, "fin"))
    invoice(CustomerFactory(), "10.00", number="ONE")

    def count():
        with CaptureQueriesContext(connection) as captured:
            client.get("/reports/aging/", {"as_of": "2026-06-30", "view": "detail"})
        return len(captured.captured_queries)

    count()
    one = count()
    for n in range(49):
        invoice(CustomerFactory(), "10.00", number=f"MANY-{n}")

    assert count() == one


def test_export_of_another_user_is_a_404(client):
    from reporting.models import ExportJob

    alice = user_in_role(roles.COLLECTOR, "alice")
    bob = user_in_role(roles.COLLECTOR, "bob")
    job = ExportJob.objects.create(
        user=bob, kind="detail", format="csv", parameters={"as_of": "2026-06-30"}, status="done"
    )
    client.force_login(alice)

    assert client.get(f"/reports/exports/{job.pk}/").status_code == 404
    assert client.get(f"/reports/exports/{job.pk}/download/").status_code == 404
