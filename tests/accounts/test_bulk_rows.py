from decimal import Decimal

import pytest

from accounts.bulk_rows import as_array, insert_rows, insert_values, update_columns
from accounts.models import AuditEntry, Contact, Currency, Customer, PaymentTerms
from collections_app.models import Activity
from tests.factories import CustomerFactory, collector

pytestmark = pytest.mark.django_db

STORED = [
    "name",
    "parent",
    "currency",
    "payment_terms",
    "credit_limit",
    "credit_status",
    "assigned_collector",
    "do_not_contact",
    "billing_address",
]


def _customer(ref: str, parent: Customer, cathy) -> Customer:
    return Customer(
        external_ref=ref,
        name="Acme Ä",
        parent=parent,
        currency=Currency.objects.get(code="EUR"),
        payment_terms=PaymentTerms.objects.get(net_days=30),
        credit_limit=Decimal("1234.50"),
        assigned_collector=cathy,
    )


def test_inserted_rows_read_back_as_bulk_create_writes_them():
    parent, cathy = CustomerFactory(), collector("cathy")
    theirs, ours = _customer("THEIRS", parent, cathy), _customer("OURS", parent, cathy)
    Customer.objects.bulk_create([theirs])

    insert_rows([ours])

    assert (ours.pk is not None, ours._state.adding) == (True, False)
    stored = {c.external_ref: c for c in Customer.objects.filter(pk__in=[theirs.pk, ours.pk])}
    assert [getattr(stored["OURS"], name) for name in STORED] == [
        getattr(stored["THEIRS"], name) for name in STORED
    ]
    assert stored["OURS"].created_at is not None
    assert stored["OURS"].created_at == ours.created_at


def test_json_is_stored_as_json_and_none_as_null():
    entry = AuditEntry(action="x", object_type="t", object_id="1", after={"a": [1, "é"]})

    insert_rows([entry])

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.before, stored.after, stored.actor) == (None, {"a": [1, "é"]}, None)
    assert AuditEntry.objects.filter(pk=entry.pk, before__isnull=True).exists()


def test_values_left_out_take_the_fields_defaults_and_the_keys_come_in_order():
    customer = CustomerFactory()
    rows = [{"customer_id": customer.pk, "kind": "note", "summary": f"line {n}"} for n in range(3)]

    keys = insert_values(Activity, rows)

    stored = list(Activity.objects.filter(pk__in=keys).order_by("pk"))
    assert [a.summary for a in stored] == ["line 0", "line 1", "line 2"]
    assert [a.pk for a in stored] == keys
    assert {(a.outcome, a.note, a.actor_id, a.contact_id, a.document.name) for a in stored} == {
        ("", "", None, None, "")
    }
    assert stored[0].occurred_at is not None


def test_an_unsaved_related_object_is_refused():
    contact = Contact(customer=Customer(external_ref="NEW"), name="Jana")

    with pytest.raises(ValueError, match=r"customer of a new accounts\.Contact is not saved yet"):
        insert_rows([contact])

    assert Contact.objects.count() == 0


def test_update_columns_stores_the_named_fields_only():
    one, two = CustomerFactory(name="One"), CustomerFactory(name="Two")
    one.name, two.name = "One Ltd", "Two Ltd"
    one.credit_limit = two.credit_limit = Decimal("1.00")

    update_columns([one, two], ["name"])

    assert list(
        Customer.objects.filter(pk__in=[one.pk, two.pk])
        .order_by("pk")
        .values_list("name", "credit_limit")
    ) == [("One Ltd", Decimal("50000.00")), ("Two Ltd", Decimal("50000.00"))]


def test_as_array_matches_what_an_in_list_matches():
    one, _, three = (CustomerFactory(external_ref=ref) for ref in ("O'NE", "TWO", "THREE"))
    refs = ["O'NE", "THREE", "NOBODY"]

    by_ref = Customer.objects.filter(
        external_ref__in=as_array(refs, Customer._meta.get_field("external_ref"))
    )
    by_key = Customer.objects.filter(pk__in=as_array([one.pk, three.pk], Customer._meta.pk))

    assert sorted(by_ref.values_list("pk", flat=True)) == sorted([one.pk, three.pk])
    assert sorted(by_key.values_list("external_ref", flat=True)) == ["O'NE", "THREE"]
    assert not Customer.objects.filter(pk__in=as_array([], Customer._meta.pk)).exists()
