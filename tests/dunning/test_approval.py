"""Approving a run cannot happen by accident: a confirmation page says what goes out and a
box must be ticked; "Resume sending" appears only when a run has stalled."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from dunning import services as dunning
from dunning.models import CommunicationStatus, DunningPolicy, DunningRun, DunningRunStatus

from .pages import book, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts():
    return book()


@pytest.fixture
def manager(accounts):
    return logged_in(accounts["manager"])


def test_the_confirmation_page_counts_by_level_and_channel_and_totals_per_currency(
    accounts, manager
):
    run = dunning.dunning_run_start(actor=accounts["manager"])

    response = manager.get(f"/dunning/runs/{run.pk}/approve/")

    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.rows == [
        (1, "Friendly reminder", "E-mail", 2),  # Acme, Cedar
        (3, "Final demand", "Letter", 1),  # Bolt, after its recorded reminders
    ]
    assert summary.total == 3
    # Acme 120 + 80, Bolt 900, Cedar 300 (its disputed 40.00 left out)
    assert [(code, str(amount)) for code, amount in summary.amounts] == [("USD", "1400.00")]
    body = response.content.decode()
    assert 'name="confirm" value="yes" required' in body
    assert "Approve and send 3 communications" in body
    run.refresh_from_db()
    assert run.status == DunningRunStatus.PREVIEW  # looking sends nothing


def test_posting_without_the_box_ticked_sends_nothing(accounts, manager):
    run = dunning.dunning_run_start(actor=accounts["manager"])

    response = manager.post(f"/dunning/runs/{run.pk}/approve/")

    assert response.status_code == 400
    assert "Tick the box to confirm: nothing was sent." in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.approved_at) == (DunningRunStatus.PREVIEW, None)
    assert set(run.communications.values_list("status", flat=True)) == {"planned"}


def test_the_ticked_box_approves_as_a_plain_form(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    run = dunning.dunning_run_start(actor=accounts["manager"])

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/dunning/runs/{run.pk}/approve/", {"confirm": "yes"})

    assert (response.status_code, response.url) == (302, f"/dunning/runs/{run.pk}/")
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (DunningRunStatus.DONE, accounts["manager"])


def test_the_run_page_links_to_the_confirmation_instead_of_approving(accounts, manager):
    run = dunning.dunning_run_start(actor=accounts["manager"])

    body = manager.get(f"/dunning/runs/{run.pk}/").content.decode()

    assert f'href="/dunning/runs/{run.pk}/approve/"' in body
    assert f'action="/dunning/runs/{run.pk}/approve/"' not in body


def test_a_policy_with_catch_up_is_warned_about_on_the_preview(accounts, manager):
    DunningPolicy.objects.create(name="Old book", catch_up=True)
    run = dunning.dunning_run_start(actor=accounts["manager"])

    for path in (f"/dunning/runs/{run.pk}/", f"/dunning/runs/{run.pk}/approve/"):
        body = manager.get(path).content.decode()
        assert "<strong>Catch-up is on</strong> for Old book" in body


def _sending_run(accounts, capture) -> DunningRun:
    run = dunning.dunning_run_start(actor=accounts["manager"])
    with capture(execute=False):  # approved, but the broker never delivers
        dunning.dunning_run_approve(actor=accounts["manager"], run=run)
    run.refresh_from_db()
    return run


def test_resume_is_hidden_while_a_run_moves_along(
    accounts, manager, django_capture_on_commit_callbacks, settings
):
    settings.DUNNING_STALLED_MINUTES = 10
    run = _sending_run(accounts, django_capture_on_commit_callbacks)

    body = manager.get(f"/dunning/runs/{run.pk}/").content.decode()

    assert run.status == DunningRunStatus.SENDING
    assert "Resume sending" not in body


def test_resume_shows_when_nothing_was_sent_for_the_stalled_minutes(
    accounts, manager, django_capture_on_commit_callbacks, settings
):
    settings.DUNNING_STALLED_MINUTES = 10
    run = _sending_run(accounts, django_capture_on_commit_callbacks)
    DunningRun.objects.filter(pk=run.pk).update(
        approved_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    one = run.communications.first()
    type(one).objects.filter(pk=one.pk).update(
        status=CommunicationStatus.SENT, sent_at=timezone.now() - datetime.timedelta(minutes=9)
    )

    assert "Resume sending" not in manager.get(f"/dunning/runs/{run.pk}/").content.decode()

    type(one).objects.filter(pk=one.pk).update(
        sent_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    body = manager.get(f"/dunning/runs/{run.pk}/").content.decode()
    assert "Resume sending" in body
    assert "Nothing has been sent for 10 minutes" in body


def test_a_finished_run_offers_no_resume(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    run = dunning.dunning_run_start(actor=accounts["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run_approve(actor=accounts["manager"], run=run)

    assert "Resume sending" not in manager.get(f"/dunning/runs/{run.pk}/").content.decode()
