"""The customer import's set-based write path against the one-at-a-time services.

The same rows are written twice: once through ``customer_create``/``customer_update``/
``contact_add`` row by row (rolled back), once by ``import_customers``; customers, contacts,
audit entries, credit history, timeline lines and queue states must come out the same.
"""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import imports, roles
from accounts.csv_reading import ImportRejected
from accounts.errors import ServiceError
from accounts.imports import import_customers
from accounts.models import AuditEntry, Contact, Customer, PaymentTerms
from accounts.services import (
    contact_add,
    customer_create,
    customer_update,
    payment_terms_for_days,
)
from accounts.services_bulk import (
    ServiceErrors,
    contact_add_many,
    customer_create_many,
    customer_update_many,
)
from collections_app.models import Activity, QueueState
from collections_app.services.queue import queue_state_refresh
from credit.models import CreditChange
from invoices.models import Invoice
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    UserFactory,
    collector,
    invoice,
    user_in_role,
)

pytestmark = pytest.mark.django_db

HEADER = (
    "external_ref,name,currency,payment_terms,credit_limit,collector,parent_ref,"
    "contact_name,contact_email,contact_phone"
)
COLUMNS = HEADER.split(",")


def write_csv(tmp_path, rows: list[dict[str, str]], name: str = "customers.csv"):
    path = tmp_path / name
    lines = [HEADER, *(",".join(row.get(column, "") for column in COLUMNS) for row in rows)]
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def row(external_ref: str, name: str, currency: str = "USD", **cells: str) -> dict[str, str]:
    return {"external_ref": external_ref, "name": name, "currency": currency, **cells}


def record_counts() -> dict[str, int]:
    models = [Customer, Contact, AuditEntry, CreditChange, Activity, QueueState, Invoice]
    return {model.__name__: model.objects.count() for model in models}


def rejection(path, **kwargs) -> list[tuple]:
    before = record_counts()
    with pytest.raises(ImportRejected) as caught:
        import_customers(path, **kwargs)
    assert record_counts() == before
    return [(error.row, error.column, error.reason) for error in caught.value.errors]


# --- the rows through the one-at-a-time services, as the import wrote them before -------


def per_row_services(rows: list[dict[str, str]], actor) -> None:
    """Each row through the services; a row whose parent is not there yet waits for it."""
    pending = list(rows)
    while pending:
        later = [r for r in pending if not _parent_ready(r)]
        for r in pending:
            if r not in later:
                _write_one(r, actor)
        assert len(later) < len(pending)
        pending = later


def _parent_ready(r: dict[str, str]) -> bool:
    ref = r.get("parent_ref", "")
    return not ref or Customer.objects.filter(external_ref=ref).exists()


def _write_one(r: dict[str, str], actor) -> None:
    users = get_user_model().objects
    collector = users.get(username=r["collector"]) if r.get("collector") else None
    parent = Customer.objects.get(external_ref=r["parent_ref"]) if r.get("parent_ref") else None
    terms = r.get("payment_terms")
    customer = Customer.objects.filter(external_ref=r["external_ref"]).first()
    if customer is None:
        customer = customer_create(
            actor=actor,
            credit_source="import",
            external_ref=r["external_ref"],
            name=r["name"],
            currency=r["currency"],
            payment_terms=payment_terms_for_days(int(terms or 30)),
            credit_limit=r.get("credit_limit") or "0",
            assigned_collector=collector,
            parent=parent,
        )
    else:
        given = {"name": r["name"], "currency": r["currency"]}
        if terms:
            given["payment_terms"] = payment_terms_for_days(int(terms))
        if r.get("credit_limit"):
            given["credit_limit"] = r["credit_limit"]
        if collector:
            given["assigned_collector"] = collector
        if parent:
            given["parent"] = parent
        customer_update(actor=actor, customer=customer, credit_source="import", **given)
    name, email = r.get("contact_name", ""), r.get("contact_email", "")
    if name:
        known = list(customer.contacts.all())
        if not any(
            c.name.lower() == name.lower() or (email and c.email.lower() == email.lower())
            for c in known
        ):
            contact_add(
                actor=actor,
                customer=customer,
                name=name,
                email=email,
                phone=r.get("contact_phone", ""),
                is_primary=not known,
            )


# --- what was written, with ids replaced by what they stand for ----------------------


def state() -> dict[str, list]:
    refs = dict(Customer.objects.values_list("pk", "external_ref"))
    usernames = dict(get_user_model().objects.values_list("pk", "username"))
    net_days = dict(PaymentTerms.objects.values_list("pk", "net_days"))
    contact_keys = {
        pk: (refs[customer_id], name)
        for pk, customer_id, name in Contact.objects.values_list("pk", "customer", "name")
    }
    named = {
        "parent": refs,
        "customer": refs,
        "assigned_collector": usernames,
        "payment_terms": net_days,
    }

    def plain(snapshot):
        if snapshot is None:
            return None
        shown = {
            k: named[k].get(v) if k in named and v is not None else v for k, v in snapshot.items()
        }
        return json.dumps(shown, sort_keys=True)

    def audited(entry: AuditEntry) -> tuple:
        keys = {"accounts.customer": refs, "accounts.contact": contact_keys}
        key = (
            keys[entry.object_type][int(entry.object_id)]
            if entry.object_type in keys
            else (entry.object_id)
        )
        actor = usernames.get(entry.actor_id)
        return (
            entry.action,
            entry.object_type,
            str(key),
            actor,
            plain(entry.before),
            plain(entry.after),
        )

    queue = []
    for values in QueueState.objects.values():
        values["customer_id"] = refs[values["customer_id"]]
        values.pop("refreshed_at")
        queue.append(json.dumps(values, sort_keys=True, default=str))
    return {
        "customers": sorted(
            Customer.objects.values_list(
                "external_ref",
                "name",
                "currency",
                "payment_terms__net_days",
                "credit_limit",
                "credit_status",
                "assigned_collector__username",
                "parent__external_ref",
                "do_not_contact",
                "billing_address",
            )
        ),
        "contacts": sorted(
            Contact.objects.values_list(
                "customer__external_ref", "name", "email", "phone", "role", "is_primary"
            )
        ),
        "audit": sorted(audited(entry) for entry in AuditEntry.objects.all()),
        "credit": sorted(
            CreditChange.objects.values_list(
                "customer__external_ref",
                "kind",
                "status_before",
                "status_after",
                "limit_before",
                "limit_after",
                "currency",
                "reason",
                "comment",
                "actor__username",
            )
        ),
        "timeline": sorted(
            Activity.objects.values_list(
                "customer__external_ref", "kind", "summary", "note", "actor__username"
            )
        ),
        "queue": sorted(queue),
    }


@pytest.fixture
def book():
    """Accounts already in Dunwell: one with invoices and a contact, one in another currency
    without a ledger, a child account, a holding; queue states for all of them."""
    cathy, colin = collector("cathy"), collector("colin")
    old1 = CustomerFactory(
        external_ref="OLD1",
        name="Old One",
        credit_limit=Decimal("5000.00"),
        assigned_collector=cathy,
    )
    ContactFactory(customer=old1, name="Ann Old", email="ann@old.example", is_primary=True)
    invoice(old1, "1200.00")
    CustomerFactory(
        external_ref="OLD2",
        name="Old Two",
        currency_id="EUR",
        credit_limit=Decimal("0.00"),
    )
    CustomerFactory(
        external_ref="OLD3", name="Old Three", credit_limit=Decimal("1000.00"), parent=old1
    )
    CustomerFactory(external_ref="HOLD", name="Holding", credit_limit=Decimal("0.00"))
    queue_state_refresh()
    return {"cathy": cathy, "colin": colin, "fiona": user_in_role(roles.FINANCE, "fiona")}


ROWS = [
    # a child whose parent comes further down the file, with a collector and a contact
    row("NEW-A", "New A GmbH", "EUR", payment_terms="45", credit_limit="2500.00",
        collector="cathy", parent_ref="NEW-P", contact_name="Dana A",
        contact_email="dana@a.example", contact_phone="+1 555 0101"),
    # a known account: new name, limit and collector; its contact is there already
    row("OLD1", "Old One Ltd", credit_limit="7500.00", collector="colin",
        contact_name="ANN OLD"),
    # a known account without a ledger: another currency, terms and parent, a first contact
    row("OLD2", "Old Two", "USD", payment_terms="75", parent_ref="HOLD",
        contact_name="Bea Two", contact_email="bea@two.example"),
    row("NEW-P", "New Parent", credit_limit="0"),
    # unchanged, but gets a contact
    row("OLD3", "Old Three", credit_limit="1000.00", parent_ref="OLD1", contact_name="Cy Three"),
    row("NEW-B", "New B", payment_terms="60", parent_ref="OLD1", collector="colin",
        contact_name="Eve B", contact_email="ANN@old.example"),
    # a grandchild of NEW-P, through NEW-A (also further up)
    row("NEW-C", "New C", credit_limit="100.00", parent_ref="NEW-A"),
    # a known account moved under a new one
    row("HOLD", "Holding", credit_limit="900000.00", parent_ref="NEW-P"),
]  # fmt: skip


@pytest.mark.parametrize("batch", [2, 1000])
def test_the_import_writes_what_the_services_write_row_by_row(tmp_path, book, monkeypatch, batch):
    actor = book["fiona"]
    with transaction.atomic():
        per_row_services(ROWS, actor)
        expected = state()
        transaction.set_rollback(True)
    monkeypatch.setattr(imports, "BATCH", batch)

    result = import_customers(write_csv(tmp_path, ROWS), actor=actor)

    assert str(result) == "customers: 4 created, 4 updated, 0 unchanged"
    assert state() == expected
    # the comparison is about something: what the services wrote for these rows
    actions = [entry[0] for entry in expected["audit"]]
    assert (actions.count("customer.create"), actions.count("customer.update")) == (4, 3)
    assert actions.count("contact.add") == 4
    assert ("OLD1", "limit", "", "", Decimal("5000.00"), Decimal("7500.00"), "USD", "import",
            "", "fiona") in expected["credit"]  # fmt: skip
    assert ("OLD1", "credit", "Credit limit: 5,000.00 USD → 7,500.00 USD (Customer import)",
            "", "fiona") in expected["timeline"]  # fmt: skip
    old1_queue = next(q for q in expected["queue"] if '"customer_id": "OLD1"' in q)
    assert '"credit_use_pct": 16' in old1_queue  # 1,200 of the new 7,500 limit


def _rows_for_size(n: int, known: list[Customer]) -> list[dict[str, str]]:
    """Half new accounts (every third the child of the one before, most with a contact),
    half known accounts with a new limit and collector and a first contact."""
    rows = []
    for i in range(n // 2):
        parent = f"N{n}-{i - 1:04d}" if i % 3 == 2 else ""
        rows.append(
            row(f"N{n}-{i:04d}", f"New {i}", credit_limit="100.00", collector="cathy",
                parent_ref=parent, contact_name=f"Buyer {i}", contact_email=f"b{i}@x.example")
        )  # fmt: skip
    for i, customer in enumerate(known[: n - n // 2]):
        rows.append(
            row(customer.external_ref, customer.name, credit_limit=f"{700 + i}.00",
                collector="colin", contact_name=f"Clerk {i}")
        )  # fmt: skip
    return rows


def test_the_number_of_queries_does_not_grow_with_the_rows(tmp_path):
    collector("cathy")
    collector("colin")
    actor = user_in_role(roles.FINANCE, "fiona")
    counts = {}
    for n in (50, 500):
        known = [
            CustomerFactory(external_ref=f"K{n}-{i:04d}", name=f"Known {i}") for i in range(n // 2)
        ]
        path = write_csv(tmp_path, _rows_for_size(n, known), name=f"customers-{n}.csv")
        with CaptureQueriesContext(connection) as queries:
            result = import_customers(path, actor=actor)
        assert str(result) == f"customers: {n // 2} created, {n // 2} updated, 0 unchanged"
        counts[n] = len(queries.captured_queries)

    assert counts[500] <= counts[50] + 2, counts
    assert counts[50] <= 45, counts


# --- refusals: row and column named, nothing written ---------------------------------


def test_a_name_with_a_line_break_is_refused_naming_the_row(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text('external_ref,name,currency\r\nA1,Acme,USD\r\nA2,"Bolt\nBrothers",USD\r\n')

    assert rejection(path) == [(3, "name", "name must be on one line, without line breaks")]


def test_a_contact_name_with_a_line_break_is_refused_in_its_own_column(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text('external_ref,name,currency,contact_name\r\nA1,Acme,USD,"Jana\nNovak"\r\n')

    assert rejection(path) == [(2, "contact_name", "name must be on one line, without line breaks")]


def test_every_row_naming_a_user_who_cannot_collect_is_refused(tmp_path):
    collector("cathy")
    UserFactory(username="fred")
    path = write_csv(
        tmp_path,
        [row("A1", "Acme", collector="fred"), row("A2", "Bolt", collector="cathy"),
         row("A3", "Cargo", collector="fred")],
    )  # fmt: skip

    reason = "fred cannot collect: assign accounts to collectors or credit managers"
    assert rejection(path) == [(2, "collector", reason), (4, "collector", reason)]


def test_a_currency_change_is_refused_once_the_customer_has_ledger_entries(tmp_path):
    booked = CustomerFactory(external_ref="BOOKED", name="Booked")
    invoice(booked, "100.00")
    CustomerFactory(external_ref="FREE", name="Free")
    path = write_csv(tmp_path, [row("FREE", "Free", "EUR"), row("BOOKED", "Booked", "EUR")])

    assert rejection(path) == [
        (3, "currency", "BOOKED has ledger entries in USD; its currency cannot change")
    ]
    assert Customer.objects.get(external_ref="FREE").currency_id == "USD"


def test_a_loop_through_an_account_the_importer_cannot_see_is_refused(tmp_path):
    cathy = collector("cathy")
    bee = CustomerFactory(external_ref="B", name="Bee", assigned_collector=cathy)
    hidden = CustomerFactory(external_ref="X", name="Hidden", parent=bee)
    CustomerFactory(external_ref="A", name="Ay", assigned_collector=cathy, parent=hidden)
    path = write_csv(tmp_path, [row("B", "Bee", parent_ref="A")])

    assert rejection(path, actor=cathy) == [
        (2, "parent_ref", "A is B itself or one of its child accounts, so it cannot be its parent")
    ]
    assert Customer.objects.get(external_ref="B").parent is None


def test_a_refusal_in_a_later_batch_leaves_the_earlier_batches_unwritten(tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "BATCH", 2)
    rows = [row(f"A{i}", f"Acme {i}", contact_name=f"Buyer {i}") for i in range(5)]
    rows[4]["name"] = '"Acme\n4"'
    path = write_csv(tmp_path, rows)

    assert rejection(path) == [(6, "name", "name must be on one line, without line breaks")]


# --- the set-based services on their own -----------------------------------------------


def test_new_customers_may_name_a_parent_created_with_them_but_not_in_a_loop():
    before = record_counts()
    items = [
        {"external_ref": "C1", "name": "One", "currency": "USD", "parent": "C2"},
        {"external_ref": "C2", "name": "Two", "currency": "USD", "parent": "C1"},
        {"external_ref": "C3", "name": "Three", "currency": "USD", "parent": "NOPE"},
        {"external_ref": "C4", "name": "Four", "currency": "USD", "parent": "C4"},
    ]

    with pytest.raises(ServiceErrors) as refused:
        customer_create_many(actor=None, customers=items)

    assert {position: (e.field, e.message) for position, e in refused.value.errors.items()} == {
        0: ("parent", "C2 is C1 itself or one of its child accounts, so it cannot be its parent"),
        1: ("parent", "C1 is C2 itself or one of its child accounts, so it cannot be its parent"),
        2: ("parent", "unknown customer 'NOPE': not among the new customers"),
        3: ("parent", "C4 is C4 itself or one of its child accounts, so it cannot be its parent"),
    }
    assert record_counts() == before

    made = customer_create_many(actor=None, customers=[items[0], {**items[1], "parent": None}])

    assert [(c.external_ref, c.parent_id) for c in made] == [("C1", made[1].pk), ("C2", None)]
    assert Customer.objects.get(external_ref="C1").parent.external_ref == "C2"


def test_an_existing_reference_is_refused_as_customer_create_refuses_it():
    CustomerFactory(external_ref="TAKEN")
    before = record_counts()

    with pytest.raises(ServiceErrors) as refused:
        customer_create_many(
            actor=None,
            customers=[
                {"external_ref": "FREE", "name": "Free", "currency": "USD"},
                {"external_ref": "TAKEN", "name": "Taken", "currency": "USD"},
            ],
        )

    assert {p: (e.code, e.message) for p, e in refused.value.errors.items()} == {
        1: ("duplicate", "customer TAKEN already exists")
    }
    assert record_counts() == before


def test_two_changes_that_close_a_loop_together_are_both_refused():
    top = CustomerFactory(external_ref="TOP")
    low = CustomerFactory(external_ref="LOW")
    other = CustomerFactory(external_ref="OTHER", credit_limit=Decimal("1.00"))
    before = record_counts()

    with pytest.raises(ServiceErrors) as refused:
        customer_update_many(
            actor=None,
            changes=[
                (top, {"parent": low}),
                (other, {"credit_limit": "2.00"}),
                (low, {"parent": top}),
            ],
        )

    assert {p: e.message for p, e in refused.value.errors.items()} == {
        0: "LOW is TOP itself or one of its child accounts, so it cannot be its parent",
        2: "TOP is LOW itself or one of its child accounts, so it cannot be its parent",
    }
    assert record_counts() == before
    assert Customer.objects.get(pk=other.pk).credit_limit == Decimal("1.00")


def test_a_primary_contact_added_in_bulk_takes_over_from_the_old_one():
    customer = CustomerFactory()
    old = ContactFactory(customer=customer, name="Old", is_primary=True)

    (new,) = contact_add_many(
        actor=None, contacts=[{"customer": customer, "name": " New ", "is_primary": True}]
    )

    assert list(customer.contacts.values_list("name", "is_primary")) == [
        ("New", True),
        ("Old", False),
    ]
    entry = AuditEntry.objects.get(action="contact.add")
    assert (entry.object_id, entry.after["name"], entry.after["customer"]) == (
        str(new.pk),
        "New",
        customer.pk,
    )
    assert old.pk != new.pk


def test_bulk_refusals_keep_the_service_error_of_the_first_item():
    with pytest.raises(ServiceError) as refused:
        contact_add_many(actor=None, contacts=[{"customer": CustomerFactory(), "name": "a\u2028b"}])

    assert (refused.value.field, refused.value.message) == (
        "name",
        "name must be on one line, without line breaks",
    )
