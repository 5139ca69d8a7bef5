"""Issue 16, item 9: consistency — a customer's currency is fixed once it has ledger
entries; only users who can collect are assigned accounts; line breaks in names are
refused; an unterminated CSV quote is reported as such (the bank CSV reader of this wave
too); the report PDF fetches nothing, and every PDF is built with the data-only fetcher;
the template editor bounds how long a template may render."""

import ast
import io
from pathlib import Path

import pytest
from django.test import override_settings
from pypdf import PdfReader
from rest_framework.test import APIClient

from accounts import roles
from accounts.csv_reading import ImportRejected
from accounts.errors import ServiceError
from accounts.imports import import_customers
from accounts.models import AuditEntry, Customer
from accounts.services import contact_add, customer_create, customer_update
from cash.bankfiles import BankFileError, csv_reader
from cash.models import BankCsvMapping
from dunning import documents
from reporting.exports.writers import write_pdf
from tests.factories import CustomerFactory, collector, invoice, user_in_role

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_customers_currency_cannot_change_once_it_has_ledger_entries():
    acme = CustomerFactory()
    invoice(acme, "100.00")
    audit_before = AuditEntry.objects.count()

    with pytest.raises(ServiceError) as refused:
        customer_update(actor=None, customer=acme, currency="EUR")

    assert refused.value.field == "currency"
    assert Customer.objects.get(pk=acme.pk).currency_id == "USD"
    assert AuditEntry.objects.count() == audit_before


def test_a_customer_without_ledger_entries_may_change_currency():
    acme = CustomerFactory()

    customer_update(actor=None, customer=acme, currency="EUR")

    assert Customer.objects.get(pk=acme.pk).currency_id == "EUR"


def test_the_api_refuses_a_currency_change_naming_the_field():
    manager = user_in_role(roles.CREDIT_MANAGER, "carla")
    acme = CustomerFactory()
    invoice(acme, "100.00")

    response = _api(manager).patch(
        f"/api/v1/customers/{acme.pk}/", {"currency": "EUR"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["field"] == "currency"
    assert Customer.objects.get(pk=acme.pk).currency_id == "USD"


def test_only_a_user_who_can_collect_is_assigned_an_account():
    manager = user_in_role(roles.CREDIT_MANAGER, "carla")
    user_in_role(roles.FINANCE, "fiona")
    acme = CustomerFactory()

    response = _api(manager).patch(
        f"/api/v1/customers/{acme.pk}/", {"assigned_collector": "fiona"}, format="json"
    )
    with pytest.raises(ServiceError) as refused:
        customer_create(
            actor=None,
            external_ref="X1",
            name="X",
            currency="USD",
            assigned_collector=user_in_role(roles.CFO, "cfo"),
        )

    assert response.status_code == 400
    assert "assigned_collector" in str(response.json())
    assert Customer.objects.get(pk=acme.pk).assigned_collector_id is None
    assert refused.value.field == "assigned_collector"


def test_a_collector_can_be_assigned_an_account():
    alice = collector("alice")
    acme = CustomerFactory()

    customer_update(actor=None, customer=acme, assigned_collector=alice)

    assert Customer.objects.get(pk=acme.pk).assigned_collector == alice


@pytest.mark.parametrize("name", ["Acme\nLtd", "Acme\rLtd", "Acme\u2028Ltd"])
def test_line_breaks_in_names_are_refused(name):
    acme = CustomerFactory(name="Acme")

    with pytest.raises(ServiceError) as on_create:
        customer_create(actor=None, external_ref="X1", name=name, currency="USD")
    with pytest.raises(ServiceError) as on_update:
        customer_update(actor=None, customer=acme, name=name)
    with pytest.raises(ServiceError) as on_contact:
        contact_add(actor=None, customer=acme, name=name, email="a@example.com")

    assert (on_create.value.field, on_update.value.field, on_contact.value.field) == (
        "name",
        "name",
        "name",
    )
    assert list(Customer.objects.values_list("name", flat=True)) == ["Acme"]
    assert acme.contacts.count() == 0


def test_an_unterminated_quote_in_a_csv_is_reported_as_such(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(
        b'external_ref,name,currency\r\nC1,Acme,USD\r\nC2,"Bolt Brothers,USD\r\nC3,Cargo,USD\r\n'
    )

    with pytest.raises(ImportRejected) as caught:
        import_customers(path)

    reasons = [(e.row, e.reason) for e in caught.value.errors]
    assert len(reasons) == 1
    assert reasons[0][0] == 3
    assert "quote" in reasons[0][1] and "never closed" in reasons[0][1]
    assert Customer.objects.count() == 0


def test_the_report_pdf_fetches_no_file_from_the_server(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    templates = tmp_path / "templates" / "reporting"
    templates.mkdir(parents=True)
    (templates / "export_pdf.html").write_text(
        f'<p>{{{{ title }}}}</p><img src="file://{secret}">'
        f'<a rel="attachment" href="file://{secret}">a</a>'
        f'<link rel="stylesheet" href="file://{secret}">'
    )
    out = tmp_path / "export.pdf"
    from django.conf import settings

    engines = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]
    with override_settings(TEMPLATES=engines):
        write_pdf(out, "Aging", [], [], [], lambda done: None)

    pdf = out.read_bytes()
    reader = PdfReader(io.BytesIO(pdf))
    assert "Aging" in reader.pages[0].extract_text()  # the template above was the one used
    assert reader.attachments == {}
    assert b"TOP-SECRET-VALUE" not in pdf


def test_a_template_that_loops_millions_of_times_is_stopped_quickly():
    source = (
        "{% for a in 'abcdefghijklmnopqrstuvwxyz0123456789'|make_list %}"
        "{% for b in 'abcdefghijklmnopqrstuvwxyz0123456789'|make_list %}"
        "{% for c in 'abcdefghijklmnopqrstuvwxyz0123456789'|make_list %}"
        "{% for d in 'abcdefghijklmnopqrstuvwxyz0123456789'|make_list %}"
        "{% for e in 'ab'|make_list %}x{% endfor %}"
        "{% endfor %}{% endfor %}{% endfor %}{% endfor %}"
    )

    with pytest.raises(ServiceError) as refused:
        documents.render_source(source, {})

    # stopped by its count of loop steps (2.7 million asked for), not after running them all
    assert refused.value.field == "body"
    assert "its loops ran more than 100,000 times" in refused.value.message


def test_a_padding_filter_cannot_build_a_huge_string():
    with pytest.raises(ServiceError) as refused:
        documents.render_source('{{ "x"|ljust:"100000000" }}', {})

    assert refused.value.field == "body"


def test_an_ordinary_template_still_renders():
    rendered = documents.render_source(
        "{% for a in 'abc'|make_list %}{{ a }}{% endfor %}{{ 'x'|ljust:'3' }}|", {}
    )

    assert rendered == "abcx  |"


def test_an_unterminated_quote_in_a_bank_csv_is_reported_and_swallows_no_line():
    """This wave's bank CSV reader: before, the open quote's cell ran on over the next line,
    so that line's payment was silently never posted."""
    mapping = BankCsvMapping.objects.create(
        name="First Bank",
        account="DE00 1234",
        date_column="date",
        amount_column="amount",
        currency_column="currency",
        reference_column="reference",
        remittance_column="remittance",
    )
    content = (
        b"date,amount,currency,reference,remittance\n"
        b'2026-02-01,100.00,USD,REF1,"INV-1 thanks\n'
        b"2026-02-02,200.00,USD,REF2,INV-2\n"
    )

    with pytest.raises(BankFileError) as refused:
        csv_reader.parse(content, mapping)

    [error] = refused.value.errors
    assert (error["line"], error["record"]) == (2, "row")
    assert "never closed" in error["reason"]


def test_every_pdf_is_written_with_the_data_only_fetcher():
    """Letters, statements, exports and this wave's credit decisions: every WeasyPrint
    document of the product is built where the fetcher is given (accounts/pdf.py and the
    report export), so no template can pull a server file into a PDF."""
    root = Path(__file__).resolve().parents[2]
    packages = [p for p in root.iterdir() if (p / "__init__.py").exists() and p.name != "tests"]
    builders = {}
    for path in (path for package in packages for path in package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and "HTML" in (
                getattr(node.func, "id", None),  # HTML(...)
                getattr(node.func, "attr", None),  # weasyprint.HTML(...)
            ):
                keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
                builders.setdefault(str(path.relative_to(root)), []).append(
                    keywords.get("url_fetcher")
                )

    assert builders == {
        "accounts/pdf.py": ["data_only_url_fetcher()"],
        "reporting/exports/writers.py": ["data_only_url_fetcher()"],
    }
