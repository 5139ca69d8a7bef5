"""The dunning pages: runs, a run's preview, its progress and retry queue, its PDFs, the
policies and their levels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import AuditEntry
from dunning import services as dunning
from dunning.models import (
    CommunicationStatus,
    DunningLevel,
    DunningRun,
    DunningRunStatus,
    SkipReason,
)
from dunning.views import PREVIEW_PAGE_SIZE
from tests.collections_app.workflow import account, overdue_invoice
from tests.factories import ContactFactory, user_in_role

from .pages import book, grant, logged_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def accounts():
    return book()


@pytest.fixture
def manager(accounts):
    return logged_in(accounts["manager"])


def _start(accounts) -> DunningRun:
    return dunning.dunning_run_start(actor=accounts["manager"])


def _approve(accounts, run, capture, *, execute: bool = True) -> DunningRun:
    with capture(execute=execute):
        dunning.dunning_run_approve(actor=accounts["manager"], run=run)
    run.refresh_from_db()
    return run


# --- who may see the pages ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dunning/", "/dunning/policies/"])
def test_a_collector_is_refused_the_dunning_pages(path, accounts):
    assert logged_in(accounts["owner"]).get(path).status_code == 403


def test_finance_has_the_team_view_but_no_dunning_and_is_refused(accounts):
    finance = user_in_role(roles.FINANCE, "fiona")

    assert logged_in(finance).get("/dunning/").status_code == 403


def test_viewing_runs_without_the_team_view_is_refused(accounts):
    cora = grant(accounts["owner"], "dunning.view_dunningrun")

    assert cora.has_perm("dunning.view_dunningrun")
    assert logged_in(cora).get("/dunning/").status_code == 403


def test_anonymous_is_sent_to_log_in():
    response = logged_in_anonymous().get("/dunning/")

    assert (response.status_code, response.url) == (302, "/login/?next=/dunning/")


def logged_in_anonymous():
    from django.test import Client

    return Client()


def test_the_nav_shows_dunning_to_those_who_may_view_runs(accounts):
    cfo = user_in_role(roles.CFO, "cfo")

    def labels(user):
        return [label for label, _ in logged_in(user).get("/customers/").context["nav_items"]]

    assert "Dunning" in labels(accounts["manager"])
    assert "Dunning" in labels(cfo)
    assert "Dunning" not in labels(accounts["owner"])
    assert "Dunning" not in labels(user_in_role(roles.FINANCE, "fiona"))


# --- the runs list -----------------------------------------------------------------------


def test_the_runs_list_counts_communications_by_status_and_skips(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    first = _approve(accounts, _start(accounts), django_capture_on_commit_callbacks)
    second = _start(accounts)

    response = manager.get("/dunning/")

    rows = {run.pk: run for run in response.context["page"]}
    assert list(rows) == [second.pk, first.pk]
    assert (rows[first.pk].n_sent, rows[first.pk].n_planned, rows[first.pk].n_skips) == (3, 0, 2)
    assert (rows[second.pk].n_planned, rows[second.pk].n_sent) == (0, 0)
    assert rows[first.pk].approved_by.username == "carla"
    body = response.content.decode()
    assert 'action="/dunning/runs/start/"' in body
    assert f'href="/dunning/runs/{first.pk}/"' in body


def test_the_runs_list_runs_the_same_queries_for_1_and_20_runs(accounts, manager):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager.get("/dunning/").status_code == 200
        return len(captured)

    _start(accounts)
    one = queries()
    for _ in range(19):
        _start(accounts)
    # the navigation's counts (credit inbox, write-offs awaiting approval) are one query together
    assert one == queries() == 8


def test_starting_a_run_builds_its_preview_and_opens_it(accounts, manager):
    response = manager.post("/dunning/runs/start/")

    run = DunningRun.objects.get()
    assert response.status_code == 302
    assert response.url == f"/dunning/runs/{run.pk}/"
    assert (run.status, run.created_by, run.trigger) == ("preview", accounts["manager"], "manual")
    assert run.communications.count() == 3


def test_the_cfo_sees_runs_but_cannot_start_one(accounts):
    cfo = logged_in(user_in_role(roles.CFO, "cfo"))

    assert cfo.get("/dunning/").status_code == 200
    assert b"Start a run" not in cfo.get("/dunning/").content
    assert cfo.post("/dunning/runs/start/").status_code == 403
    assert DunningRun.objects.count() == 0


# --- the preview -------------------------------------------------------------------------


def test_the_preview_shows_level_channel_recipient_and_invoices_by_currency(accounts, manager):
    run = _start(accounts)

    response = manager.get(f"/dunning/runs/{run.pk}/")

    comms = {c.customer.name: c for c in response.context["communications"]}
    assert list(comms) == ["Acme Widgets", "Bolt Brothers", "Cedar Mills"]
    acme = comms["Acme Widgets"]
    assert (acme.level.number, acme.channel, acme.recipient) == (
        1,
        "email",
        ["Ann Payable <ap@acme.example>"],
    )
    assert [(g["currency"], g["total"]) for g in acme.groups] == [("USD", Decimal("200.00"))]
    # oldest due first
    assert [ln.invoice.number for ln in acme.groups[0]["lines"]] == ["ACME-2", "ACME-1"]
    assert comms["Bolt Brothers"].recipient == ["9 Dock Rd", "Portsmouth PO1 2AB"]
    assert comms["Bolt Brothers"].channel == "letter"
    body = response.content.decode()
    assert '<td class="num"><strong>200.00 USD</strong></td>' in body
    assert '<td class="num">900.00 USD</td>' in body
    assert "0 → <strong>1</strong>" in body  # never reminded: level 1 however late
    assert "2 → <strong>3</strong>" in body  # Bolt's history: the final demand is next
    assert "Review and approve 3 communications" in body


def test_the_preview_groups_skips_by_reason_and_names_the_skipped_invoice(accounts, manager):
    run = _start(accounts)

    response = manager.get(f"/dunning/runs/{run.pk}/")

    assert response.context["reasons"] == [
        ("disputed", "Invoice in dispute", 1),
        ("do_not_contact", "Do not contact", 1),
    ]
    skips = [
        (s.reason, s.customer.name, getattr(s.invoice, "number", None))
        for s in response.context["skips"]
    ]
    assert skips == [
        ("disputed", "Cedar Mills", "CEDAR-2"),
        ("do_not_contact", "Quiet Corp", None),
    ]
    body = response.content.decode()
    assert "CEDAR-2" in body
    assert "whole account" in body


def test_the_preview_filters_by_level_channel_and_skip_reason(accounts, manager):
    run = _start(accounts)
    url = f"/dunning/runs/{run.pk}/"

    def names(query):
        response = manager.get(url, query)
        return (
            [c.customer.name for c in response.context["communications"]],
            [s.customer.name for s in response.context["skips"]],
        )

    assert names({"level": "3"}) == (["Bolt Brothers"], ["Cedar Mills", "Quiet Corp"])
    assert names({"channel": "email"}) == (
        ["Acme Widgets", "Cedar Mills"],
        ["Cedar Mills", "Quiet Corp"],
    )
    assert names({"reason": SkipReason.DO_NOT_CONTACT}) == (
        ["Acme Widgets", "Bolt Brothers", "Cedar Mills"],
        ["Quiet Corp"],
    )
    assert names({"level": "x", "channel": "fax", "reason": "nope"})[0] == [
        "Acme Widgets",
        "Bolt Brothers",
        "Cedar Mills",
    ]


def _run_of(n: int, manager_user) -> DunningRun:
    owner = manager_user
    for i in range(n):
        customer = account(owner, f"Bulk {n}-{i:03d}")
        ContactFactory(customer=customer, email=f"ap{i}@bulk{n}.example", is_primary=True)
        overdue_invoice(customer, "100.00", days_late=5 + i % 20)  # e-mail levels only
        overdue_invoice(customer, "50.00", days_late=2)
        if i % 5 == 0:
            skipped = account(owner, f"Quiet {n}-{i:03d}", do_not_contact=True)
            overdue_invoice(skipped, "75.00", days_late=9)
    return dunning.dunning_run_start(actor=manager_user)


def _preview_queries(client, run) -> tuple[int, int]:
    client.get(f"/dunning/runs/{run.pk}/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/dunning/runs/{run.pk}/")
    assert response.status_code == 200
    return len(captured), len(response.context["communications"])


def test_the_preview_runs_the_same_queries_for_5_and_50_communications(accounts):
    manager_user = accounts["manager"]
    client = logged_in(manager_user)
    DunningRun.objects.all().delete()

    five, shown_five = _preview_queries(client, _run_of(5, manager_user))
    DunningRun.objects.update(status=DunningRunStatus.CANCELLED)
    from dunning.models import DunningCommunication

    DunningCommunication.objects.update(status=CommunicationStatus.CANCELLED)
    fifty, shown_fifty = _preview_queries(client, _run_of(50, manager_user))

    assert (shown_five, shown_fifty) == (5 + 3, PREVIEW_PAGE_SIZE)
    assert five == fifty == 17  # the navigation's badges counted in one query


def test_a_large_preview_is_paginated_with_the_filters_kept(accounts):
    manager_user = accounts["manager"]
    client = logged_in(manager_user)
    DunningRun.objects.all().delete()
    run = _run_of(60, manager_user)

    last = -(-62 // PREVIEW_PAGE_SIZE)
    response = client.get(f"/dunning/runs/{run.pk}/", {"channel": "email", "page": str(last)})

    assert response.context["communications"].paginator.count == 62
    assert len(response.context["communications"]) == 62 - (last - 1) * PREVIEW_PAGE_SIZE
    assert f'href="?channel=email&amp;page={last - 1}#comms-h"' in response.content.decode()


# --- approving, cancelling, progress, the retry queue ---------------------------------------


def test_approving_from_the_page_sends_and_shows_progress_at_100(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    run = _start(accounts)

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/dunning/runs/{run.pk}/approve/", {"confirm": "yes"})

    assert (response.status_code, response.url) == (302, f"/dunning/runs/{run.pk}/")
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (DunningRunStatus.DONE, accounts["manager"])
    live = manager.get(f"/dunning/runs/{run.pk}/progress/", **HTMX)
    assert live.context["progress"].percent == 100
    assert live.context["progress"].counts == {"sent": 3}
    assert b"hx-trigger" not in live.content
    assert b'value="100"' in live.content


def test_a_sending_run_polls_its_progress(accounts, manager, django_capture_on_commit_callbacks):
    run = _approve(accounts, _start(accounts), django_capture_on_commit_callbacks, execute=False)
    assert run.status == DunningRunStatus.SENDING

    live = manager.get(f"/dunning/runs/{run.pk}/progress/", **HTMX)

    assert live.context["progress"].percent == 0
    assert live.context["progress"].counts == {"queued": 3}
    body = live.content.decode()
    assert f'hx-get="/dunning/runs/{run.pk}/progress/?polling=1" hx-trigger="every 1.5s"' in body
    assert "0% done" in body
    assert "HX-Refresh" not in live


def test_the_poll_that_finds_the_run_finished_reloads_the_page(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    run = _approve(accounts, _start(accounts), django_capture_on_commit_callbacks)

    polled = manager.get(f"/dunning/runs/{run.pk}/progress/?polling=1", **HTMX)
    retried = manager.get(f"/dunning/runs/{run.pk}/progress/", **HTMX)

    assert polled["HX-Refresh"] == "true"
    assert "HX-Refresh" not in retried


def test_resuming_a_sending_run_dispatches_what_is_queued(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    run = _approve(accounts, _start(accounts), django_capture_on_commit_callbacks, execute=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/dunning/runs/{run.pk}/resume/")

    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == DunningRunStatus.DONE
    assert set(run.communications.values_list("status", flat=True)) == {"sent"}


def test_cancelling_a_preview_sends_nothing(accounts, manager):
    run = _start(accounts)

    response = manager.post(f"/dunning/runs/{run.pk}/cancel/")

    run.refresh_from_db()
    assert (response.status_code, run.status) == (302, DunningRunStatus.CANCELLED)
    assert set(run.communications.values_list("status", flat=True)) == {"cancelled"}


def test_approving_twice_is_refused_with_a_message(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    run = _approve(accounts, _start(accounts), django_capture_on_commit_callbacks)
    audit = AuditEntry.objects.count()

    response = manager.post(f"/dunning/runs/{run.pk}/approve/", follow=True)

    assert [str(m) for m in response.context["messages"]] == ["this run is done"]
    assert AuditEntry.objects.count() == audit


def test_a_failed_e_mail_waits_in_the_retry_queue_and_is_retried_after_the_fix(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery, settings
):
    settings.EMAIL_BACKEND = "tests.dunning.mail_backends.RefusingBackend"
    run = _approve(accounts, _start(accounts), django_capture_on_commit_callbacks)

    page = manager.get(f"/dunning/runs/{run.pk}/")

    (failed,) = page.context["retry_queue"]
    assert failed.customer.name == "Acme Widgets"
    assert page.context["progress"].percent == 100
    body = page.content.decode()
    assert "address refused by the mail server: ap@acme.example (550 mailbox unknown)" in body
    assert f'hx-post="/dunning/communications/{failed.pk}/retry/"' in body

    accounts["ann"].email = "ann@acme-widgets.example"
    accounts["ann"].save()
    with django_capture_on_commit_callbacks(execute=True):
        live = manager.post(f"/dunning/communications/{failed.pk}/retry/", **HTMX)

    failed.refresh_from_db()
    assert (failed.status, failed.to_address) == ("sent", "ann@acme-widgets.example")
    assert live.context["retry_queue"] == []
    assert "Acme Widgets: queued again." in live.content.decode()


def test_retrying_a_sent_communication_is_refused(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    run = _approve(accounts, _start(accounts), django_capture_on_commit_callbacks)
    sent = run.communications.first()

    response = manager.post(f"/dunning/communications/{sent.pk}/retry/", follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "only a failed communication can be retried"
    ]


# --- PDFs -------------------------------------------------------------------------------


def test_the_print_file_and_each_communication_pdf_download(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    run = _approve(accounts, _start(accounts), django_capture_on_commit_callbacks)
    letter = run.communications.get(channel="letter")

    printed = manager.get(f"/dunning/runs/{run.pk}/letters.pdf")
    one = manager.get(f"/dunning/communications/{letter.pk}/document.pdf")

    assert (printed.status_code, printed["Content-Type"]) == (200, "application/pdf")
    assert b"".join(printed.streaming_content)[:5] == b"%PDF-"
    assert b"".join(one.streaming_content)[:5] == b"%PDF-"
    assert letter.document.name.rpartition("/")[2] in one["Content-Disposition"]
    page = manager.get(f"/dunning/runs/{run.pk}/").content.decode()
    assert f'href="/dunning/runs/{run.pk}/letters.pdf"' in page
    assert f'href="/dunning/communications/{letter.pk}/document.pdf"' in page


def test_a_preview_has_no_pdfs_yet(accounts, manager):
    run = _start(accounts)
    comm = run.communications.first()

    assert manager.get(f"/dunning/runs/{run.pk}/letters.pdf").status_code == 404
    assert manager.get(f"/dunning/communications/{comm.pk}/document.pdf").status_code == 404


# --- policies and levels ------------------------------------------------------------------


def _level(number: int) -> DunningLevel:
    return DunningLevel.objects.get(policy__is_default=True, number=number)


def _level_post(level, **changes) -> dict:
    data = {
        "name": level.name,
        "days_past_due": level.days_past_due,
        "channel": level.channel,
        "template_code": level.template_code,
        "minimum_overdue_amount": f"{level.minimum_overdue_amount:.2f}",
        "minimum_days_since_previous": level.minimum_days_since_previous,
        "escalation_action": level.escalation_action,
        **changes,
    }
    return {f"level-{k}": v for k, v in data.items()}


def _levels() -> list[tuple]:
    return list(
        DunningLevel.objects.order_by("policy", "number").values_list(
            "number", "days_past_due", "minimum_overdue_amount", "template_code", "channel"
        )
    )


def test_the_policies_page_lists_levels_with_their_settings(accounts, manager):
    response = manager.get("/dunning/policies/")

    (policy,) = response.context["policies"]
    assert [(lv.number, lv.days_past_due) for lv in policy.levels.all()] == [
        (1, 1),
        (2, 15),
        (3, 30),
        (4, 60),
    ]
    body = response.content.decode()
    assert "Pre-agency notice" in body and "Mark for agency placement" in body
    assert '<td class="num">20.00 USD</td>' in body
    assert '<td class="num">25.00 USD</td>' in body  # the final demand's minimum per invoice
    assert f'href="/dunning/levels/{_level(2).pk}/#level-{_level(2).pk}"' in body


def test_a_credit_manager_edits_a_level(accounts, manager):
    level = _level(2)

    response = manager.post(
        f"/dunning/levels/{level.pk}/",
        _level_post(level, days_past_due=20, minimum_overdue_amount="25.50", channel="letter"),
    )

    assert response.status_code == 302
    level.refresh_from_db()
    assert (level.days_past_due, level.minimum_overdue_amount, level.channel) == (
        20,
        Decimal("25.50"),
        "letter",
    )
    entry = AuditEntry.objects.get(action="dunning.level")
    assert entry.before == {
        "days_past_due": 15,
        "channel": "email",
        "minimum_overdue_amount": "20.00",
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"days_past_due": 30}, "days_past_due", "must be earlier than level 3 (day 30)"),
        ({"days_past_due": 1}, "days_past_due", "must be later than level 1 (day 1)"),
        (
            {"minimum_overdue_amount": "-1.00"},
            "minimum_overdue_amount",
            "the minimum cannot be negative",
        ),
        (
            {"minimum_overdue_amount": "1.005"},
            "minimum_overdue_amount",
            "'1.005' has more than two decimal places",
        ),
        ({"template_code": "nope"}, "template_code", None),
    ],
)
def test_a_level_that_breaks_the_rules_is_refused_next_to_its_field(
    changes, field, message, accounts, manager
):
    level = _level(2)
    before = _levels()

    response = manager.post(f"/dunning/levels/{level.pk}/", _level_post(level, **changes))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
        assert f'id="id_level-{field}-error">{message}' in response.content.decode().replace(
            "&#x27;", "'"
        )
    assert _levels() == before


def test_the_service_refuses_an_unknown_template_code(accounts):
    level = _level(1)
    before = _levels()

    with pytest.raises(dunning.ServiceError) as refusal:
        dunning.dunning_level_update(
            actor=accounts["manager"],
            level=level,
            name=level.name,
            days_past_due=2,
            channel="email",
            template_code="no_such_letter",
            minimum_overdue_amount="0",
            minimum_days_since_previous=0,
            escalation_action="none",
        )

    assert (refusal.value.field, refusal.value.message) == (
        "template_code",
        "no dunning template 'no_such_letter'",
    )
    assert _levels() == before


def test_the_cfo_reads_policies_but_cannot_edit_a_level(accounts):
    cfo = logged_in(user_in_role(roles.CFO, "cfo"))
    level = _level(2)
    before = _levels()

    assert cfo.get("/dunning/policies/").status_code == 200
    assert b"/dunning/levels/" not in cfo.get("/dunning/policies/").content
    assert cfo.get(f"/dunning/levels/{level.pk}/").status_code == 403
    assert (
        cfo.post(f"/dunning/levels/{level.pk}/", _level_post(level, days_past_due=20)).status_code
        == 403
    )
    assert _levels() == before


def test_a_done_run_polls_on_until_its_letters_are_combined_for_print(
    accounts, manager, django_capture_on_commit_callbacks, eager_celery
):
    import datetime

    from django.utils import timezone

    run = _approve(accounts, _start(accounts), django_capture_on_commit_callbacks)
    DunningRun.objects.filter(pk=run.pk).update(print_file="")  # the worker has not built it

    waiting = manager.get(f"/dunning/runs/{run.pk}/progress/?polling=1", **HTMX)
    DunningRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    given_up = manager.get(f"/dunning/runs/{run.pk}/progress/?polling=1", **HTMX)

    assert "HX-Refresh" not in waiting
    assert "combining the letters into one PDF to print" in waiting.content.decode()
    assert b'hx-trigger="every 1.5s"' in waiting.content
    assert given_up["HX-Refresh"] == "true"
    assert b"hx-trigger" not in given_up.content


def test_a_customer_owing_in_two_currencies_gets_a_total_per_currency(accounts, manager):
    import datetime

    from django.utils import timezone

    from accounts.models import ExchangeRate
    from tests.factories import invoice

    ExchangeRate.objects.create(
        currency_id="EUR",
        quote_currency_id="USD",
        valid_from=datetime.date(2020, 1, 1),
        rate=Decimal("1.10"),
    )
    for number, amount, days_late in (("BOLT-EUR-1", "250.00", 4), ("BOLT-EUR-2", "50.50", 2)):
        issue = timezone.localdate() - datetime.timedelta(days=days_late + 30)
        invoice(accounts["bolt"], amount, number=number, issue_date=issue, currency="EUR")
    run = _start(accounts)

    response = manager.get(f"/dunning/runs/{run.pk}/", {"level": "3"})

    (bolt,) = response.context["communications"]
    assert [(g["currency"], g["total"]) for g in bolt.groups] == [
        ("EUR", Decimal("300.50")),
        ("USD", Decimal("900.00")),
    ]
    assert [ln.invoice.number for ln in bolt.groups[0]["lines"]] == ["BOLT-EUR-1", "BOLT-EUR-2"]
    body = response.content.decode()
    assert (
        '<th scope="row" colspan="4">Total EUR</th><td class="num"><strong>300.50 EUR</strong>'
        in body
    )
    assert '<td class="num">250.00 EUR</td>' in body
