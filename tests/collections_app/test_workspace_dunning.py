"""The dunning panel of the account workspace: policy and language, the account's stop, a
stop on one invoice, each open invoice's level, and the PDF of a letter on the timeline."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from accounts.models import AuditEntry
from collections_app import services
from dunning import services as dunning
from dunning.models import DunningPolicy, DunningProfile, InvoiceDunning
from tests.dunning.pages import ensure_dunning_defaults
from tests.factories import ContactFactory

from .workflow import account, collector, credit_manager, days, overdue_invoice, today

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _dunning_defaults():
    ensure_dunning_defaults()


@pytest.fixture
def alice():
    return collector("alice")


@pytest.fixture
def northwind(alice):
    customer = account(alice, billing_address="1 Harbour Rd\nBristol")
    ContactFactory(customer=customer, email="ap@northwind.example", is_primary=True)
    return customer


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _profile(customer) -> tuple | None:
    return (
        DunningProfile.objects.filter(customer=customer)
        .values_list("policy", "language", "stop_reason", "stop_until")
        .first()
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_panel_shows_the_default_policy_and_language(alice, northwind):
    response = _client(alice).get(f"/customers/{northwind.pk}/")

    panel = response.context["dunning"]
    assert (panel.policy.name, panel.profile) == ("Standard", None)
    assert panel.languages == ["de", "en", "fr"]
    body = response.content.decode()
    assert 'Standard <span class="muted">(default)</span> · letters in <strong>en</strong>' in body
    # a collector may stop dunning but not change the account's policy
    assert "Stop dunning this account" in body
    assert "Change policy or language" not in body


def test_a_credit_manager_moves_the_account_to_another_policy_in_german(northwind):
    strict = DunningPolicy.objects.create(name="Strict")
    carla = credit_manager()

    response = _client(carla).post(
        f"/customers/{northwind.pk}/dunning/policy/",
        {"dunning-policy": strict.pk, "dunning-language": "de"},
        **HTMX,
    )

    assert response.status_code == 200
    assert _profile(northwind) == (strict.pk, "de", "", None)
    assert _messages(response) == ["Dunning: Strict, letters in de."]
    assert response.context["dunning"].policy == strict
    assert AuditEntry.objects.filter(action="dunning.policy").count() == 1


def test_a_collector_cannot_change_the_policy(alice, northwind):
    strict = DunningPolicy.objects.create(name="Strict")

    response = _client(alice).post(
        f"/customers/{northwind.pk}/dunning/policy/",
        {"dunning-policy": strict.pk, "dunning-language": "de"},
    )

    assert response.status_code == 403
    assert _profile(northwind) is None


def test_an_unknown_language_is_refused_next_to_its_field(northwind):
    response = _client(credit_manager()).post(
        f"/customers/{northwind.pk}/dunning/policy/",
        {"dunning-policy": "", "dunning-language": "xx"},
        **HTMX,
    )

    assert response.context["dunning_forms"]["policy"].errors == {
        "language": ["Select a valid choice. xx is not one of the available choices."]
    }
    assert _profile(northwind) is None


def test_a_collector_stops_dunning_the_account_and_lifts_the_stop(alice, northwind):
    client = _client(alice)
    until = today() + days(14)

    stopped = client.post(
        f"/customers/{northwind.pk}/dunning/stop/",
        {"stop-reason": "in legal review", "stop-until": until.isoformat()},
        **HTMX,
    )

    assert _profile(northwind) == (None, "en", "in legal review", until)
    assert _messages(stopped) == [f"Dunning stopped until {until:%Y-%m-%d}."]
    body = stopped.content.decode()
    assert f"until {until:%Y-%m-%d} — in legal review" in body
    assert "Lift the stop" in body

    lifted = client.post(f"/customers/{northwind.pk}/dunning/stop/lift/", **HTMX)

    assert _profile(northwind) == (None, "en", "", None)
    assert _messages(lifted) == ["Dunning stop lifted."]
    assert lifted.context["dunning_stop"] is None


def test_a_stop_without_reason_or_with_a_past_end_is_refused_next_to_its_field(alice, northwind):
    client = _client(alice)

    no_reason = client.post(
        f"/customers/{northwind.pk}/dunning/stop/",
        {"stop-reason": "", "stop-until": (today() + days(3)).isoformat()},
        **HTMX,
    )
    past = client.post(
        f"/customers/{northwind.pk}/dunning/stop/",
        {"stop-reason": "legal", "stop-until": (today() - days(1)).isoformat()},
        **HTMX,
    )

    assert no_reason.context["dunning_forms"]["stop"].errors == {
        "reason": ["say why dunning stops"]
    }
    assert past.context["dunning_forms"]["stop"].errors == {
        "until": ["the end date is in the past"]
    }
    assert 'class="error" role="alert">say why dunning stops' in no_reason.content.decode()
    assert _profile(northwind) is None


def test_stopping_dunning_of_one_invoice_and_lifting_it(alice, northwind):
    inv = overdue_invoice(northwind, "400.00", days_late=12, number="NW-1")
    client = _client(alice)
    until = today() + days(5)

    stopped = client.post(
        f"/customers/{northwind.pk}/invoices/{inv.pk}/dunning-stop/",
        {
            f"invoice-stop-{inv.pk}-reason": "credit note coming",
            f"invoice-stop-{inv.pk}-until": until,
        },
        **HTMX,
    )

    state = InvoiceDunning.objects.get(invoice=inv)
    assert (state.stop_reason, state.stop_until) == ("credit note coming", until)
    assert _messages(stopped) == [f"Dunning of NW-1 stopped until {until:%Y-%m-%d}."]
    (item,) = stopped.context["items"]
    assert item.dunning_stop == state
    assert f"stopped to {until:%b %d}" in stopped.content.decode()

    lifted = client.post(f"/customers/{northwind.pk}/invoices/{inv.pk}/dunning-stop/lift/", **HTMX)

    state.refresh_from_db()
    assert (state.stop_reason, state.stop_until) == ("", None)
    assert lifted.context["items"][0].dunning_stop is None


def test_an_invoice_stop_without_a_reason_is_refused_with_the_invoice_named(alice, northwind):
    inv = overdue_invoice(northwind, "400.00", days_late=12, number="NW-1")

    response = _client(alice).post(
        f"/customers/{northwind.pk}/invoices/{inv.pk}/dunning-stop/",
        {f"invoice-stop-{inv.pk}-reason": "", f"invoice-stop-{inv.pk}-until": today() + days(3)},
        **HTMX,
    )

    assert _messages(response) == ["NW-1: say why dunning stops"]
    assert not InvoiceDunning.objects.filter(invoice=inv).exists()


def test_another_accounts_invoice_is_a_404_under_my_account(alice, northwind):
    theirs = overdue_invoice(account(alice, "Other Co"), "10.00", days_late=3)

    response = _client(alice).post(
        f"/customers/{northwind.pk}/invoices/{theirs.pk}/dunning-stop/",
        {
            f"invoice-stop-{theirs.pk}-reason": "legal",
            f"invoice-stop-{theirs.pk}-until": "2099-01-01",
        },
    )

    assert response.status_code == 404
    assert not InvoiceDunning.objects.exists()


def test_each_open_invoice_shows_its_level_and_the_letter_pdf_is_on_the_timeline(
    alice, northwind, settings, tmp_path, django_capture_on_commit_callbacks
):
    from dunwell.celery import app as celery_app

    settings.MEDIA_ROOT = tmp_path
    older = overdue_invoice(northwind, "400.00", days_late=20, number="NW-OLD")
    newer = overdue_invoice(northwind, "100.00", days_late=3, number="NW-NEW")
    not_due = overdue_invoice(northwind, "50.00", days_late=0, number="NW-CURRENT")
    carla = credit_manager()
    # Its first reminder went out from the previous system: NW-OLD climbs to level 2.
    dunning.invoice_dunning_history_record(
        actor=carla,
        invoice=older,
        level_number=1,
        sent_on=today() - days(15),
    )
    run = dunning.dunning_run_start(actor=carla)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            dunning.dunning_run_approve(actor=carla, run=run)
    finally:
        celery_app.conf.task_always_eager = eager

    response = _client(alice).get(f"/customers/{northwind.pk}/")

    levels = {item.number: item.dunning_level for item in response.context["items"]}
    assert levels == {older.number: 2, newer.number: 1, not_due.number: 0}
    (event,) = [e for e in response.context["events"] if e[1] == "email"]
    document_id = event[6]
    assert document_id is not None
    body = response.content.decode()
    assert f'href="/activities/{document_id}/document/"' in body
    assert '<span class="dun-level" title="Dunning level reached">L2</span>' in body
    pdf = _client(alice).get(f"/activities/{document_id}/document/")
    assert b"".join(pdf.streaming_content)[:5] == b"%PDF-"


def test_a_note_on_the_timeline_has_no_pdf_link(alice, northwind, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    note = services.note_add(actor=alice, customer=northwind, note="called, left message")
    statement = services.note_add(actor=alice, customer=northwind, note="statement sent")
    statement.document.save("statement.pdf", ContentFile(b"%PDF-1.4"), save=True)

    response = _client(alice).get(f"/customers/{northwind.pk}/")

    documents = {e[3]: e[6] for e in response.context["events"]}
    assert documents == {"called, left message": None, "statement sent": statement.pk}
    assert f"/activities/{note.pk}/document/" not in response.content.decode()
