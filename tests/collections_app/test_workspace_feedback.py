"""Refusals a person can read: a plain (non-htmx) POST the role may not make answers with
a page that says so inside the site's layout, not a bare "403 Forbidden"."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from collections_app.models import Promise
from tests.factories import CustomerFactory, user_in_role

pytestmark = pytest.mark.django_db


def test_a_refused_plain_post_answers_with_a_readable_page_in_the_layout(client):
    cfo = user_in_role(roles.CFO, "cfo")
    customer = CustomerFactory()
    client.force_login(cfo)

    response = client.post(
        f"/customers/{customer.pk}/promises/",
        {
            "promise-amount": "100.00",
            "promise-promised_date": (
                timezone.localdate() + datetime.timedelta(days=3)
            ).isoformat(),
        },
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>You are not allowed to do that</h1>" in page
    assert "nothing was changed" in page
    assert 'class="brand"' in page
    assert Promise.objects.count() == 0


def test_a_read_only_role_sees_the_account_but_no_action_form(client):
    from collections_app import services
    from tests.factories import ContactFactory, collector, invoice

    owner = collector("alice")
    customer = CustomerFactory(assigned_collector=owner)
    ContactFactory(customer=customer)
    issue = timezone.localdate() - datetime.timedelta(days=60)
    invoice(customer, "900.00", issue_date=issue, due_days=30)
    services.promise_record(
        actor=owner,
        customer=customer,
        amount=900,
        promised_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    services.follow_up_schedule(actor=owner, customer=customer, due_date=timezone.localdate())
    client.force_login(user_in_role(roles.CFO, "cfo"))

    page = client.get(f"/customers/{customer.pk}/").content.decode()

    assert page.count("hx-post=") == 0
    assert page.count("<form") == 1  # logging out
    assert "Open promises" in page
    assert "900.00 USD" in page
