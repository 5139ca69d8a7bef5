"""/customers/<id>/: the account workspace and its htmx actions."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEntry
from collections_app import services
from collections_app.models import Activity, Escalation, FollowUp, Promise
from collections_app.workspace_views import ITEMS_PAGE_SIZE
from disputes.models import Dispute
from tests.factories import ContactFactory

from .workflow import account, collector, credit_manager, days, overdue_invoice, pay, today

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice():
    return collector("alice")


@pytest.fixture
def northwind(alice):
    return account(alice)


@pytest.fixture
def client(alice):
    client = Client()
    client.force_login(alice)
    return client


def test_the_workspace_shows_tiles_contacts_items_and_timeline(client, alice, northwind):
    ContactFactory(
        customer=northwind, name="Dana Reyes", email="ap@northwind.example", phone="+1 555 0100"
    )
    late = overdue_invoice(northwind, "12500.00", days_late=75, number="INV-100231")
    overdue_invoice(northwind, "800.00", days_late=-20, number="INV-100232")
    pay(northwind, "2500.00", invoices=[late], reference="CHK-5521")
    services.call_log(actor=alice, customer=northwind, outcome="left_voicemail", note="left msg")

    response = client.get(f"/customers/{northwind.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="tel:+1 555 0100"' in html
    assert 'href="mailto:ap@northwind.example"' in html
    assert '<td class="num">10,000.00 USD</td>' in html
    items = list(response.context["items"])
    assert [(i.number, i.days_past_due, i.bucket, i.bucket_label) for i in items] == [
        ("INV-100231", 75, "61_90", "61\u201390"),
        ("INV-100232", 0, "current", "Current"),
    ]
    events = list(response.context["events"])
    assert [(e[1], e[2], e[7], e[8]) for e in events] == [
        ("call", "Call: Left voicemail", None, ""),
        ("payment", "Payment CHK-5521 received", Decimal("2500.00"), "USD"),
    ]
    assert "Payment CHK-5521 received: 2,500.00 USD" in html


def test_logging_a_call_that_records_a_promise_in_place(client, alice, northwind):
    inv = overdue_invoice(northwind, "5000.00", days_late=40)
    contact = ContactFactory(customer=northwind, name="Dana Reyes")

    response = client.post(
        f"/customers/{northwind.pk}/calls/",
        {
            "call-outcome": "promised",
            "call-contact": contact.pk,
            "call-note": "will pay Friday",
            "call-promise_amount": "3000.00",
            "call-promise_date": (today() + days(4)).isoformat(),
            "invoices": [inv.pk],
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert response.templates[0].name == "collections_app/_workspace_body.html"
    promise = Promise.objects.get()
    assert (promise.amount, promise.contact, list(promise.invoices.all())) == (
        Decimal("3000.00"),
        contact,
        [inv],
    )
    assert [a.kind for a in Activity.objects.order_by("id")] == ["call", "promise"]
    assert "Call logged with a promise of 3,000.00 USD" in response.content.decode()
    assert '<span class="badge good">promised</span>' in response.content.decode()


def test_a_promised_call_without_amount_or_date_shows_field_errors_and_saves_nothing(
    client, northwind
):
    response = client.post(
        f"/customers/{northwind.pk}/calls/", {"call-outcome": "promised"}, **HTMX
    )

    form = response.context["forms"]["call"]
    assert form.errors == {
        "promise_amount": ["Enter the amount the customer promised."],
        "promise_date": ["Enter the date the customer promised to pay by."],
    }
    assert (Activity.objects.count(), Promise.objects.count(), AuditEntry.objects.count()) == (
        0,
        0,
        0,
    )


def test_a_service_refusal_lands_on_its_field(client, northwind):
    response = client.post(
        f"/customers/{northwind.pk}/promises/",
        {"promise-amount": "10.00", "promise-promised_date": (today() - days(1)).isoformat()},
        **HTMX,
    )

    assert response.context["forms"]["promise"].errors == {
        "promised_date": ["the promised date cannot be in the past"]
    }
    assert Promise.objects.count() == 0


def test_a_plain_post_redirects_back_to_the_workspace(client, northwind):
    response = client.post(
        f"/customers/{northwind.pk}/calls/", {"call-outcome": "no_answer", "from": "12.5:3"}
    )

    assert response.status_code == 302
    assert response.url == f"/customers/{northwind.pk}/?from=12.5%3A3"


def test_scheduling_a_follow_up_for_a_colleague(client, northwind):
    bob = collector("bob")

    client.post(
        f"/customers/{northwind.pk}/follow-ups/",
        {"follow_up-due_date": (today() + days(2)).isoformat(), "follow_up-assigned_to": bob.pk},
        **HTMX,
    )

    follow_up = FollowUp.objects.get()
    assert (follow_up.assigned_to, follow_up.due_date) == (bob, today() + days(2))
    assert Activity.objects.get().summary == f"Follow-up for bob on {today() + days(2):%b %d, %Y}"


def test_raising_a_dispute_on_selected_invoices(client, northwind):
    a = overdue_invoice(northwind, "700.00", days_late=40)
    overdue_invoice(northwind, "300.00", days_late=40)

    client.post(
        f"/customers/{northwind.pk}/disputes/",
        {"dispute-reason_code": "damaged", "invoices": [a.pk]},
        **HTMX,
    )

    dispute = Dispute.objects.get()
    assert (dispute.amount, dispute.reason_id, list(dispute.invoices.all())) == (
        Decimal("700.00"),
        "damaged",
        [a],
    )


def test_a_dispute_without_selected_invoices_says_so(client, northwind):
    response = client.post(
        f"/customers/{northwind.pk}/disputes/", {"dispute-reason_code": "damaged"}, **HTMX
    )

    assert response.context["forms"]["dispute"].errors == {
        "invoices": ["Select the disputed invoices in the open items."]
    }
    assert Dispute.objects.count() == 0


def test_escalating_goes_to_the_credit_manager_with_a_follow_up(client, northwind):
    carla = credit_manager("carla")

    client.post(
        f"/customers/{northwind.pk}/escalations/",
        {"escalate-reason": "Refuses to pay, asks for a manager"},
        **HTMX,
    )

    escalation = Escalation.objects.get()
    assert (escalation.assigned_to, escalation.status) == (carla, "open")
    assert FollowUp.objects.get().assigned_to == carla


def test_the_statement_pdf_downloads(client, northwind):
    overdue_invoice(northwind, "5000.00", days_late=40)

    response = client.get(f"/customers/{northwind.pk}/statement.pdf")

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response.content[:5] == b"%PDF-"


def test_the_timeline_pages_newest_first(client, alice, northwind):
    for i in range(30):
        services.note_add(actor=alice, customer=northwind, note=f"note {i}")

    first = client.get(f"/customers/{northwind.pk}/timeline/", **HTMX)
    second = client.get(f"/customers/{northwind.pk}/timeline/?page=2", **HTMX)

    assert [e[3] for e in first.context["events"]][:2] == ["note 29", "note 28"]
    assert [e[3] for e in second.context["events"]] == [f"note {i}" for i in range(4, -1, -1)]


def _workspace_queries(user, n: int) -> int:
    customer = account(user, f"Size {n}")
    contact = ContactFactory(customer=customer)
    invoices = [overdue_invoice(customer, "100.00", days_late=i) for i in range(n)]
    services.promise_record(
        actor=user,
        customer=customer,
        amount=Decimal("50.00"),
        promised_date=today() + days(3),
        invoice_ids=[invoices[0].pk],
        contact=contact,
    )
    services.dispute_raise(
        actor=user, customer=customer, invoice_ids=[invoices[-1].pk], reason_code="pricing"
    )
    services.follow_up_schedule(actor=user, customer=customer, due_date=today())
    services.escalation_raise(actor=user, customer=customer, reason="asks for a manager")
    services.payment_plan_agree(
        actor=user,
        customer=customer,
        installments=[
            (today() + days(7), Decimal("50.00")),
            (today() + days(37), Decimal("50.00")),
        ],
    )
    for i in range(n):
        services.note_add(actor=user, customer=customer, note=f"n{i}")
    client = Client()
    client.force_login(user)
    client.get(f"/customers/{customer.pk}/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/customers/{customer.pk}/")
    assert len(response.context["items"]) == min(n, ITEMS_PAGE_SIZE)
    return len(captured.captured_queries)


def test_the_workspace_runs_the_same_number_of_queries_for_5_and_200_rows(alice):
    five = _workspace_queries(alice, 5)
    two_hundred = _workspace_queries(alice, 200)

    # 20, plus four from dunning's workspace extension: the page's invoice states, the
    # profile, the policies, the template languages; plus the dispute reasons (a table);
    # plus one each for the collectable overdue tile and the e-mails on their way, and one
    # for the account's open orders (orders' extension); the open items are counted by the
    # account's totals, not by a COUNT of their own, and the queue row comes with the
    # customer
    assert five == two_hundred == 28
