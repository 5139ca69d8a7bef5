"""What the dunning settings change: approval of the nightly run, the default language of
the letters, and how often a send the mail server defers is tried on its own."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts import roles
from dunning import services as dunning
from dunning.models import (
    CommunicationStatus,
    DunningProfile,
    DunningRunStatus,
    DunningRunTrigger,
    DunningTemplate,
)
from tests.collections_app.workflow import account, collector, credit_manager, overdue_invoice
from tests.dunning.pages import ensure_dunning_defaults
from tests.factories import ContactFactory, user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    """A customer 20 days late: a level-2 e-mail in the default policy."""
    ensure_dunning_defaults()
    customer = account(collector("cora"), "Acme Widgets", billing_address="1 Main St")
    ContactFactory(customer=customer, email="ap@acme.example", is_primary=True)
    overdue_invoice(customer, "80.00", days_late=20, number="ACME-2")
    return customer


@pytest.mark.parametrize("required", [True, False])
def test_a_nightly_run_waits_for_approval_only_when_approval_is_required(
    acme, settings, eager_celery, django_capture_on_commit_callbacks, required
):
    settings.DUNNING_REQUIRE_APPROVAL = required

    with django_capture_on_commit_callbacks(execute=True):
        run = dunning.dunning_run_start(actor=None, trigger=DunningRunTrigger.NIGHTLY)

    run.refresh_from_db()
    if required:
        assert (run.status, run.approved_at, len(mail.outbox)) == (
            DunningRunStatus.PREVIEW,
            None,
            0,
        )
    else:
        assert run.status == DunningRunStatus.DONE
        assert run.approved_at is not None and run.approved_by is None
        assert [m.to for m in mail.outbox] == [["ap@acme.example"]]


def test_a_run_started_by_hand_waits_for_approval_even_when_nightly_runs_do_not(
    acme, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.DUNNING_REQUIRE_APPROVAL = False

    with django_capture_on_commit_callbacks(execute=True):
        run = dunning.dunning_run_start(actor=credit_manager("carla"))

    run.refresh_from_db()
    assert (run.status, len(mail.outbox)) == (DunningRunStatus.PREVIEW, 0)


@pytest.mark.parametrize(("default", "greeting"), [("eo", (True, False)), ("en", (False, True))])
def test_a_customer_whose_language_has_no_template_gets_the_default_language(
    acme, settings, eager_celery, django_capture_on_commit_callbacks, default, greeting
):
    admin = user_in_role(roles.ADMIN, "ada")
    for english in DunningTemplate.objects.filter(language="en"):
        esperanto = dunning.dunning_template_variant_create(
            actor=admin, template=english, language="eo"
        )
        dunning.dunning_template_save(
            actor=admin,
            template=esperanto,
            name=esperanto.name,
            subject="Pagmemorigo",
            body="<p>Estimataj sinjorinoj kaj sinjoroj, bonvolu pagi.</p>",
        )
    DunningProfile.objects.create(customer=acme, language="tlh")  # no Klingon templates
    settings.DUNNING_LANGUAGE = default
    manager = credit_manager("carla")
    run = dunning.dunning_run_start(actor=manager)

    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run_approve(actor=manager, run=run)

    (sent,) = mail.outbox
    assert sent.subject.startswith("Pagmemorigo (account ") == (default == "eo")
    assert ("Estimataj sinjorinoj" in sent.body, "Dear" in sent.body) == greeting


@pytest.mark.parametrize("retries", [0, 2])
def test_a_deferred_send_is_tried_again_as_often_as_the_setting_says_then_waits_for_a_person(
    acme, settings, eager_celery, django_capture_on_commit_callbacks, retries
):
    settings.DUNNING_MAX_AUTO_RETRIES = retries
    settings.EMAIL_BACKEND = "tests.dunning.mail_backends.BusyBackend"
    manager = credit_manager("carla")
    run = dunning.dunning_run_start(actor=manager)

    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run_approve(actor=manager, run=run)

    comm = run.communications.get()
    assert (comm.status, comm.attempts) == (CommunicationStatus.FAILED, retries + 1)
    assert "421" in comm.last_error
