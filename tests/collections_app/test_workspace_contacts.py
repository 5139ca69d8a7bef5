"""Contacts and the billing address, kept up to date from the workspace: audited, and on
the account's timeline."""

import pytest
from django.test import Client

from accounts import roles
from accounts.models import AuditEntry, Contact, Customer
from collections_app.models import Activity
from collections_app.services import billing_address_update
from tests.factories import ContactFactory, user_in_role

from .workflow import account, collector

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(user, url, data):
    return _client(user).post(url, data, HTTP_HX_REQUEST="true")


@pytest.fixture
def alice():
    return collector("alice")


def test_a_collector_adds_a_contact_audited_and_on_the_timeline(alice):
    customer = account(alice)

    response = _post(
        alice,
        f"/customers/{customer.pk}/contacts/",
        {
            "contact-name": "Pat Doe",
            "contact-role": "AP clerk",
            "contact-phone": "+1 555 0199",
            "contact-email": "pat@northwind.example",
            "contact-is_primary": "on",
        },
    )

    assert response.status_code == 200
    contact = Contact.objects.get(customer=customer)
    assert (contact.name, contact.role, contact.phone, contact.email) == (
        "Pat Doe",
        "AP clerk",
        "+1 555 0199",
        "pat@northwind.example",
    )
    assert (contact.is_primary, contact.do_not_contact) == (True, False)
    entry = AuditEntry.objects.get(action="contact.add")
    assert (entry.actor, entry.object_id) == (alice, str(contact.pk))
    assert entry.after["name"] == "Pat Doe"
    activity = Activity.objects.get(customer=customer)
    assert (activity.kind, activity.actor, activity.summary) == (
        "details",
        alice,
        "Contact added: Pat Doe · AP clerk · +1 555 0199 · pat@northwind.example (primary)",
    )
    assert "Contact Pat Doe added." in response.content.decode()


def test_changing_a_contact_records_before_and_after_and_moves_the_primary_flag(alice):
    customer = account(alice)
    old_primary = ContactFactory(customer=customer, name="Dana Reyes", is_primary=True)
    contact = ContactFactory(customer=customer, name="Pat Doe", phone="+1 555 0100", email="")
    prefix = f"contact-{contact.pk}"

    _post(
        alice,
        f"/customers/{customer.pk}/contacts/{contact.pk}/",
        {
            f"{prefix}-name": "Pat Doe",
            f"{prefix}-role": "",
            f"{prefix}-phone": "+1 555 0123",
            f"{prefix}-email": "",
            f"{prefix}-is_primary": "on",
            f"{prefix}-do_not_contact": "on",
        },
    )

    contact.refresh_from_db()
    old_primary.refresh_from_db()
    assert (contact.phone, contact.is_primary, contact.do_not_contact) == (
        "+1 555 0123",
        True,
        True,
    )
    assert old_primary.is_primary is False
    entry = AuditEntry.objects.get(action="contact.update")
    assert entry.before == {"phone": "+1 555 0100", "is_primary": False, "do_not_contact": False}
    assert entry.after == {"phone": "+1 555 0123", "is_primary": True, "do_not_contact": True}
    assert Activity.objects.get(customer=customer).summary == (
        "Contact changed (phone, primary, do not contact): "
        "Pat Doe · +1 555 0123 (primary, do not contact)"
    )


def test_a_contact_with_a_bad_e_mail_is_refused_beside_the_field_and_nothing_changes(alice):
    customer = account(alice)

    response = _post(
        alice,
        f"/customers/{customer.pk}/contacts/",
        {"contact-name": "Pat Doe", "contact-email": "pat-at-northwind"},
    )

    assert response.context["contact_add_form"].errors == {
        "email": ["Enter a valid email address."]
    }
    assert 'class="panel-form" open' in response.content.decode()
    assert Contact.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert Activity.objects.count() == 0


def test_tracing_the_customer_to_a_new_billing_address_is_audited_and_on_the_timeline(alice):
    customer = account(alice, billing_address="1 Old Road\nOldtown")

    response = _post(
        alice,
        f"/customers/{customer.pk}/billing-address/",
        {"address-billing_address": "  200 Harbor Way \n Suite 4\nPortland, OR 97201 "},
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.billing_address == "200 Harbor Way\nSuite 4\nPortland, OR 97201"
    entry = AuditEntry.objects.get(action="customer.update")
    assert (entry.actor, entry.before, entry.after) == (
        alice,
        {"billing_address": "1 Old Road\nOldtown"},
        {"billing_address": "200 Harbor Way\nSuite 4\nPortland, OR 97201"},
    )
    activity = Activity.objects.get(customer=customer)
    assert (activity.kind, activity.summary) == ("details", "Billing address changed")
    assert activity.note == (
        "200 Harbor Way\nSuite 4\nPortland, OR 97201\n\n(was: 1 Old Road / Oldtown)"
    )


def test_a_read_only_role_cannot_change_contact_details_and_sees_no_form(alice):
    customer = account(alice, billing_address="1 Old Road")
    contact = ContactFactory(customer=customer, name="Dana Reyes")
    cfo = user_in_role(roles.CFO, "cfo")

    refused = [
        _post(cfo, f"/customers/{customer.pk}/contacts/", {"contact-name": "Pat"}),
        _post(
            cfo,
            f"/customers/{customer.pk}/contacts/{contact.pk}/",
            {f"contact-{contact.pk}-name": "Someone Else"},
        ),
        _post(cfo, f"/customers/{customer.pk}/billing-address/", {"address-billing_address": "x"}),
    ]

    assert [r.status_code for r in refused] == [403, 403, 403]
    assert list(Contact.objects.values_list("name", flat=True)) == ["Dana Reyes"]
    assert Customer.objects.get(pk=customer.pk).billing_address == "1 Old Road"
    assert AuditEntry.objects.count() == 0
    page = _client(cfo).get(f"/customers/{customer.pk}/").content.decode()
    assert "Add a contact" not in page
    assert "Change the billing address" not in page


def test_the_e_mail_form_does_not_offer_a_contact_who_asked_not_to_be_contacted(alice):
    customer = account(alice)
    ContactFactory(customer=customer, name="Dana Reyes", email="dana@example.com")
    quiet = ContactFactory(
        customer=customer, name="Quiet Person", email="quiet@example.com", do_not_contact=True
    )

    response = _client(alice).get(f"/customers/{customer.pk}/")

    email_form = response.context["forms"]["email"]
    offered = [label for value, label in email_form.fields["contact"].widget.choices]
    assert offered == ["— to —", "Dana Reyes"]
    refused = _post(
        alice,
        f"/customers/{customer.pk}/emails/",
        {"email-contact": quiet.pk, "email-template": "statement"},
    )
    assert "contact" in refused.context["forms"]["email"].errors


def test_a_contact_renamed_with_a_line_break_is_refused_like_a_new_one(alice):
    from accounts.services import ServiceError, contact_update

    customer = account(alice)
    dana = ContactFactory(customer=customer, name="Dana Reyes")

    with pytest.raises(ServiceError) as refused:
        contact_update(actor=alice, contact=dana, name="Dana\r\nBcc: all@example.com")

    assert refused.value.field == "name"
    assert "one line" in refused.value.message
    assert Contact.objects.get(pk=dana.pk).name == "Dana Reyes"
    assert AuditEntry.objects.count() == 0


def test_the_address_before_is_read_from_the_row_not_from_a_stale_copy(alice):
    """Two people tracing the same customer: the second's page still holds the address the
    first replaced. Putting it back is a change, and the timeline says what it replaced."""
    customer = account(alice, billing_address="1 Old Road\nOldtown")
    stale = Customer.objects.get(pk=customer.pk)
    Customer.objects.filter(pk=customer.pk).update(billing_address="9 New Street\nNewtown")

    changed = billing_address_update(
        actor=alice, customer=stale, billing_address="1 Old Road\nOldtown"
    )

    assert changed is True
    assert Customer.objects.get(pk=customer.pk).billing_address == "1 Old Road\nOldtown"
    activity = Activity.objects.get(customer=customer, summary="Billing address changed")
    assert "(was: 9 New Street / Newtown)" in activity.note
