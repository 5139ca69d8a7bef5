"""/customers/<id>/emails/status/: the e-mails the workspace is waiting on, asked again
every 2 s until the task has sent them or given up."""

import pytest
from django.test import Client

from collections_app import services
from collections_app.services import emails
from tests.factories import ContactFactory

from .workflow import account, collector, overdue_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return collector("alice")


def _queue_email(alice):
    customer = account(alice)
    overdue_invoice(customer, "5000.00", days_late=40, number="INV-9")
    dana = ContactFactory(customer=customer, name="Dana Reyes", email="ap@northwind.example")
    queued = services.statement_email_send(
        actor=alice, customer=customer, contact=dana, template="statement"
    )
    return customer, dana, queued


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_queued_e_mail_is_followed_until_it_is_sent(alice):
    customer, dana, queued = _queue_email(alice)

    page = _client(alice).get(f"/customers/{customer.pk}/").content.decode()
    assert "E-mail “Statement of account” to ap@northwind.example: queued, sending…" in page
    assert f'hx-get="/customers/{customer.pk}/emails/status/?ids={queued.pk}"' in page

    emails.statement_email_deliver(activity_id=queued.pk, contact_id=dana.pk, template="statement")
    status = _client(alice).get(f"/customers/{customer.pk}/emails/status/?ids={queued.pk}")

    html = status.content.decode()
    assert "E-mail “Statement of account” to ap@northwind.example: sent with the statement." in html
    assert "hx-get" not in html
    page = _client(alice).get(f"/customers/{customer.pk}/").content.decode()
    assert "queued, sending…" not in page


def test_an_e_mail_that_could_not_be_sent_says_why_and_stops_asking(alice):
    customer, _dana, queued = _queue_email(alice)
    emails.statement_email_failed(activity_id=queued.pk, error="mailbox unavailable")

    status = _client(alice).get(f"/customers/{customer.pk}/emails/status/?ids={queued.pk}")

    html = status.content.decode()
    assert (
        "E-mail “Statement of account” to ap@northwind.example could not be sent: "
        "mailbox unavailable." in html
    )
    assert "hx-get" not in html


def test_the_status_names_only_this_accounts_e_mails(alice):
    _customer, _dana, queued = _queue_email(alice)
    other = account(alice, "Other Co")

    status = _client(alice).get(f"/customers/{other.pk}/emails/status/?ids={queued.pk}")

    assert status.status_code == 200
    assert "ap@northwind.example" not in status.content.decode()
