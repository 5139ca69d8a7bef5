import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from accounts import roles
from accounts.csv_reading import ImportRejected
from accounts.imports import import_customers
from accounts.models import AuditEntry, Contact, Customer
from invoices.models import Application, Invoice, Payment
from tests.factories import ContactFactory, CustomerFactory, collector, user_in_role

pytestmark = pytest.mark.django_db

HEADER = (
    "external_ref,name,currency,payment_terms,credit_limit,collector,parent_ref,"
    "contact_name,contact_email,contact_phone"
)
COLUMNS = (
    "external_ref, name, currency, payment_terms, credit_limit, collector, parent_ref, "
    "contact_name, contact_email, contact_phone"
)


def write_csv(tmp_path, *lines: str, encoding: str = "utf-8", name: str = "customers.csv"):
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def record_counts() -> dict[str, int]:
    models = [Customer, Contact, Invoice, Payment, Application, AuditEntry]
    return {model.__name__: model.objects.count() for model in models}


def rejection(path) -> list[tuple]:
    before = record_counts()
    with pytest.raises(ImportRejected) as caught:
        import_customers(path)
    assert record_counts() == before
    return [(error.row, error.column, error.reason) for error in caught.value.errors]


def test_customers_file_creates_accounts_with_terms_limit_collector_parent_and_contact(tmp_path):
    collector("cathy")
    path = write_csv(
        tmp_path,
        HEADER,
        "ACME-EU,Acme Europe GmbH,EUR,45,25000.00,cathy,ACME,Jana Novak,jana@acme.example,"
        "+1 555 0100",
        "ACME,Acme Holdings,usd,,100000,,,,,",
    )

    result = import_customers(path)

    assert str(result) == "customers: 2 created, 0 updated, 0 unchanged"
    europe = Customer.objects.get(external_ref="ACME-EU")
    holdings = Customer.objects.get(external_ref="ACME")
    assert (
        europe.name,
        europe.currency_id,
        europe.payment_terms.net_days,
        europe.credit_limit,
        europe.assigned_collector.username,
        europe.parent,
    ) == ("Acme Europe GmbH", "EUR", 45, Decimal("25000.00"), "cathy", holdings)
    assert list(europe.contacts.values_list("name", "email", "phone", "is_primary")) == [
        ("Jana Novak", "jana@acme.example", "+1 555 0100", True)
    ]
    assert (
        holdings.currency_id,
        holdings.payment_terms.net_days,
        holdings.credit_limit,
        holdings.assigned_collector,
        holdings.parent,
        holdings.contacts.count(),
    ) == ("USD", 30, Decimal("100000.00"), None, None, 0)
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == [
        "contact.add",
        "customer.create",
        "customer.create",
    ]


def test_importing_the_same_file_twice_creates_one_set_of_customers(tmp_path):
    collector("cathy")
    path = write_csv(
        tmp_path,
        HEADER,
        "ACME,Acme Holdings,USD,30,1000.00,cathy,,Jana Novak,jana@acme.example,",
        "ACME-EU,Acme Europe,EUR,45,,,ACME,,,",
    )
    import_customers(path)
    after_first = record_counts()

    result = import_customers(path)

    assert str(result) == "customers: 0 created, 0 updated, 2 unchanged"
    assert record_counts() == after_first
    assert after_first["Customer"] == 2
    assert after_first["Contact"] == 1


def test_changed_fields_are_updated_through_the_audited_service(tmp_path):
    CustomerFactory(external_ref="ACME", name="Acme", credit_limit=Decimal("50000.00"))
    path = write_csv(
        tmp_path, "external_ref,name,currency,credit_limit", "ACME,Acme Holdings,USD,75000.00"
    )

    result = import_customers(path, actor=user_in_role(roles.FINANCE, "fiona"))

    assert str(result) == "customers: 0 created, 1 updated, 0 unchanged"
    entry = AuditEntry.objects.get(action="customer.update")
    assert (entry.actor.username, entry.before, entry.after) == (
        "fiona",
        {"name": "Acme", "credit_limit": "50000.00"},
        {"name": "Acme Holdings", "credit_limit": "75000.00"},
    )
    customer = Customer.objects.get(external_ref="ACME")
    assert (customer.name, customer.credit_limit) == ("Acme Holdings", Decimal("75000.00"))


def test_blank_optional_cells_leave_an_existing_customer_as_it_is(tmp_path):
    cathy = collector("cathy")
    parent = CustomerFactory(external_ref="HOLD")
    CustomerFactory(
        external_ref="ACME",
        name="Acme",
        credit_limit=Decimal("50000.00"),
        assigned_collector=cathy,
        parent=parent,
    )
    path = write_csv(tmp_path, HEADER, "ACME,Acme,USD,,,,,,,")

    result = import_customers(path)

    assert str(result) == "customers: 0 created, 0 updated, 1 unchanged"
    customer = Customer.objects.get(external_ref="ACME")
    assert (customer.credit_limit, customer.assigned_collector, customer.parent) == (
        Decimal("50000.00"),
        cathy,
        parent,
    )
    assert AuditEntry.objects.count() == 0


def test_a_contact_is_added_only_when_none_has_that_name_or_email(tmp_path):
    acme = CustomerFactory(external_ref="ACME", name="Acme")
    ContactFactory(customer=acme, name="Jana Novak", email="jana@acme.example", is_primary=True)
    CustomerFactory(external_ref="BETA", name="Beta")
    gamma = CustomerFactory(external_ref="GAMMA", name="Gamma")
    ContactFactory(customer=gamma, name="Ap Clerk", email="ap@g.example")
    path = write_csv(
        tmp_path,
        "external_ref,name,currency,contact_name,contact_email",
        "ACME,Acme,USD,JANA NOVAK,",
        "BETA,Beta,USD,Piet Bos,piet@beta.example",
        "GAMMA,Gamma,USD,Accounts Payable,AP@G.EXAMPLE",
    )

    result = import_customers(path)

    assert str(result) == "customers: 0 created, 1 updated, 2 unchanged"
    assert list(
        Contact.objects.order_by("customer__external_ref", "id").values_list(
            "customer__external_ref", "name", "is_primary"
        )
    ) == [
        ("ACME", "Jana Novak", True),
        ("BETA", "Piet Bos", True),
        ("GAMMA", "Ap Clerk", False),
    ]


def test_every_bad_row_is_reported_and_nothing_is_written(tmp_path):
    collector("cathy")
    CustomerFactory(external_ref="OLD", name="Old Co")
    path = write_csv(
        tmp_path,
        HEADER,
        "A1,Alpha,USD,30,-5,cathy,,,,",
        "A2,,XYZ,400,abc,nobody,,,,",
        "A1,Alpha again,USD,,,,,,,",
        "A3,Gamma,EUR,,1000.005,,MISSING,,not-an-email,",
        "A4,Delta,USD,,,,A4,,,+1 555 0100",
        "OLD,Old Co,GBP,,,,,,,",
    )

    assert rejection(path) == [
        (2, "credit_limit", "'-5' is not allowed; it must be zero or more"),
        (3, "name", "is required"),
        (3, "payment_terms", "400 is not between 0 and 365"),
        (
            3,
            "credit_limit",
            "'abc' is not an amount; write digits with a dot before the cents, e.g. 1234.50, "
            "without currency signs or thousands separators",
        ),
        (
            3,
            "currency",
            "unknown currency 'XYZ'; known: AUD, CAD, CHF, EUR, GBP, JPY, MXN, NZD, SEK, USD",
        ),
        (3, "collector", "no active user is called 'nobody'"),
        (4, "external_ref", "'A1' is also on row 2"),
        (5, "credit_limit", "'1000.005' has more than two decimal places"),
        (5, "contact_email", "'not-an-email' is not an e-mail address"),
        (5, "contact_name", "is required when contact_email or contact_phone is given"),
        (5, "parent_ref", "unknown customer 'MISSING': neither in Dunwell nor in this file"),
        (6, "parent_ref", "a customer cannot be its own parent"),
        (6, "contact_name", "is required when contact_email or contact_phone is given"),
    ]


def test_parents_that_would_go_round_in_a_loop_are_refused(tmp_path):
    top = CustomerFactory(external_ref="TOP")
    CustomerFactory(external_ref="MID", parent=top)
    path = write_csv(
        tmp_path,
        "external_ref,name,currency,parent_ref",
        "X,Ex,USD,Y",
        "Y,Why,USD,X",
        "TOP,Top,USD,MID",
    )

    assert rejection(path) == [
        (2, "parent_ref", "parents would go round in a loop: X -> Y -> X"),
        (3, "parent_ref", "parents would go round in a loop: Y -> X -> Y"),
        (4, "parent_ref", "parents would go round in a loop: TOP -> MID -> TOP"),
    ]


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://x.example","Hi")', "@SUM(A1)", "-cmd|' /C calc'!A0", "+A1"],
)
def test_a_cell_that_looks_like_a_formula_is_refused(tmp_path, name):
    quoted = name.replace('"', '""')
    path = write_csv(tmp_path, "external_ref,name,currency", f'A1,"{quoted}",USD')

    assert rejection(path) == [
        (2, "name", f"{name!r} looks like a spreadsheet formula; enter the plain value")
    ]


def test_a_cell_starting_with_a_tab_is_refused_as_a_formula(tmp_path):
    path = write_csv(tmp_path, "external_ref,name,currency", 'A1,"\tAcme",USD')

    assert rejection(path) == [
        (2, "name", "'\\tAcme' looks like a spreadsheet formula; enter the plain value")
    ]


def test_a_utf8_file_with_a_byte_order_mark_is_read_as_usual(tmp_path):
    path = write_csv(
        tmp_path, "external_ref,name,currency", "A1,Café Müller,EUR", encoding="utf-8-sig"
    )

    assert str(import_customers(path)) == "customers: 1 created, 0 updated, 0 unchanged"
    assert Customer.objects.get(external_ref="A1").name == "Café Müller"


def test_a_latin1_file_is_refused_naming_the_line_with_the_bad_byte(tmp_path):
    path = write_csv(
        tmp_path,
        "external_ref,name,currency",
        "A1,Acme,USD",
        "A2,Café Müller,EUR",
        encoding="cp1252",
    )

    assert rejection(path) == [
        (
            3,
            None,
            "line 3 is not UTF-8 text: byte 0xE9 after 'A2,Caf' (the file is probably Latin-1 "
            "or Windows-1252); save the file as UTF-8 (in Excel: Save As > 'CSV UTF-8 (Comma "
            "delimited)') and import it again",
        )
    ]


def test_missing_and_unknown_header_columns_are_reported(tmp_path):
    path = write_csv(tmp_path, "external_ref,Name,country", "A1,Acme,US")

    assert rejection(path) == [
        (1, "country", f"is not a column of this import; use {COLUMNS}"),
        (1, "currency", "is a required column but is missing from the header"),
    ]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n  \r\n"])
def test_an_empty_file_is_refused(tmp_path, content):
    path = tmp_path / "customers.csv"
    path.write_bytes(content)

    assert rejection(path) == [
        (None, None, f"the file is empty; its first row must be the header: {HEADER}")
    ]


def test_a_file_with_only_the_header_imports_nothing(tmp_path):
    path = write_csv(tmp_path, HEADER)

    assert str(import_customers(path)) == "customers: 0 created, 0 updated, 0 unchanged"


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1_000_000
    path = write_csv(
        tmp_path, "external_ref,name,currency", *[f"A{n:06d},Acme,USD" for n in range(100_000)]
    )

    assert rejection(path) == [
        (
            None,
            None,
            "the file is 1.8 MB, more than the import limit of 1.0 MB (IMPORT_MAX_BYTES); "
            "split it into smaller files",
        )
    ]


def test_import_customers_command_prints_the_counts(tmp_path):
    user_in_role(roles.ADMIN, "ada")
    path = write_csv(tmp_path, "external_ref,name,currency", "A1,Acme,USD", "A2,Beta,EUR")
    out = io.StringIO()

    call_command("import_customers", str(path), "--actor", "ada", stdout=out)

    assert out.getvalue() == "customers: 2 created, 0 updated, 0 unchanged\n"
    assert set(AuditEntry.objects.values_list("actor__username", flat=True)) == {"ada"}


def test_import_customers_command_prints_one_line_per_error_and_fails(tmp_path):
    path = write_csv(tmp_path, "external_ref,name,currency", "A1,,USD", "A2,Beta,XXX")
    err = io.StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_customers", str(path), stderr=err)

    assert str(caught.value) == (
        "nothing was imported: the file has 2 errors; fix them and import the whole file again"
    )
    assert err.getvalue().splitlines() == [
        "row 2, column name: is required",
        "row 3, column currency: unknown currency 'XXX'; known: AUD, CAD, CHF, EUR, GBP, JPY, "
        "MXN, NZD, SEK, USD",
    ]
    assert Customer.objects.count() == 0


def test_import_customers_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"no such file: .*nope\.csv"):
        call_command("import_customers", str(tmp_path / "nope.csv"))


def test_a_cell_spanning_two_lines_is_one_row_as_in_a_spreadsheet(tmp_path):
    path = write_csv(
        tmp_path,
        "external_ref,name,currency",
        'A1,"Acme\nHoldings",USD',
        "A2,Beta,EURO",
    )

    assert rejection(path) == [
        (
            3,
            "currency",
            "unknown currency 'EURO'; known: AUD, CAD, CHF, EUR, GBP, JPY, MXN, NZD, SEK, USD",
        )
    ]


def test_headers_are_matched_ignoring_case_and_spaces_and_old_mac_line_ends_are_read(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes(b" External_Ref , NAME ,Currency\rA1,Acme,USD\rA2,Beta,EUR\r")

    assert str(import_customers(path)) == "customers: 2 created, 0 updated, 0 unchanged"
    assert list(Customer.objects.order_by("external_ref").values_list("name", "currency")) == [
        ("Acme", "USD"),
        ("Beta", "EUR"),
    ]
