"""Reach of the dunning pages (runs, policies, stops, documents).

A run covers every portfolio, so its pages are for users who may view runs and have the team
view: a collector is refused (403) whatever the id. A timeline PDF belongs to one account: a
collector opens only their own portfolio's, another's is a 404 like an id that does not exist.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEntry
from collections_app import services as workflow
from dunning import services as dunning
from dunning.models import DunningLevel, DunningRun
from tests.factories import user_in_role

from .pages import book, logged_in

pytestmark = pytest.mark.django_db

# Id routes whose reach these tests check; tests/collections_app/test_reach.py requires them.
# name -> (method, what the id names, the permission beyond viewing runs, or None for a read)
RUN_ROUTES = {
    "dunning_run": ("get", "run", None),
    "dunning_run_progress": ("get", "run", None),
    "dunning_run_print": ("get", "run", None),
    "dunning_run_approve": ("post", "run", "approve"),
    "dunning_run_cancel": ("post", "run", "approve"),
    "dunning_run_resume": ("post", "run", "approve"),
    "dunning_communication_retry": ("post", "communication", "approve"),
    "dunning_communication_document": ("get", "communication", None),
    "dunning_level_edit": ("post", "level", "level"),
}
ROUTES: set[str] = {*RUN_ROUTES, "activity_document"}


@pytest.fixture
def accounts():
    return book()


@pytest.fixture
def run(accounts) -> DunningRun:
    return dunning.dunning_run_start(actor=accounts["manager"])


def _target(what: str, run: DunningRun) -> int:
    if what == "run":
        return run.pk
    if what == "communication":
        return run.communications.order_by("pk").first().pk
    return DunningLevel.objects.order_by("pk").first().pk


def _state(run: DunningRun) -> tuple:
    return (
        sorted(DunningRun.objects.values_list("pk", "status")),
        sorted(run.communications.values_list("pk", "status")),
        sorted(DunningLevel.objects.values_list("pk", "days_past_due", "name")),
        AuditEntry.objects.count(),
    )


def _request(client: Client, name: str, pk: int):
    method = RUN_ROUTES[name][0]
    body = {"level-name": "Changed", "level-days_past_due": "2"} if method == "post" else None
    return getattr(client, method)(reverse(name, args=[pk]), body)


def test_every_route_of_the_dunning_pages_is_listed():
    from dunning import urls

    with_id = {p.name for p in urls.urlpatterns if p.pattern.regex.groupindex}
    assert with_id == set(RUN_ROUTES)


@pytest.mark.parametrize("name", sorted(RUN_ROUTES))
def test_a_collector_is_refused_every_run_route(name, accounts, run):
    before = _state(run)

    response = _request(logged_in(accounts["owner"]), name, _target(RUN_ROUTES[name][1], run))

    assert response.status_code == 403
    assert _state(run) == before


@pytest.mark.parametrize("name", sorted(RUN_ROUTES))
def test_anonymous_is_sent_to_log_in_on_every_run_route(name, run):
    path = reverse(name, args=[_target(RUN_ROUTES[name][1], run)])
    before = _state(run)

    response = getattr(Client(), RUN_ROUTES[name][0])(path)

    assert (response.status_code, response.url) == (302, f"/login/?next={path}")
    assert _state(run) == before


@pytest.mark.parametrize("name", sorted(n for n, (_, _, perm) in RUN_ROUTES.items() if perm))
def test_the_cfo_reads_runs_but_every_write_is_refused(name, run):
    cfo = logged_in(user_in_role(roles.CFO, "cfo"))
    before = _state(run)

    response = _request(cfo, name, _target(RUN_ROUTES[name][1], run))

    assert response.status_code == 403
    assert _state(run) == before
    assert cfo.get(reverse("dunning_run", args=[run.pk])).status_code == 200


@pytest.mark.parametrize("name", sorted(RUN_ROUTES))
def test_an_id_that_does_not_exist_is_a_404_for_the_credit_manager(name, accounts, run):
    before = _state(run)

    response = _request(logged_in(accounts["manager"]), name, 999_999)

    assert response.status_code == 404
    assert _state(run) == before


# --- a PDF on an account's timeline --------------------------------------------------------


def _activity_with_pdf(customer, owner):
    activity = workflow.note_add(actor=owner, customer=customer, note="letter on file")
    activity.document.save("letter.pdf", ContentFile(b"%PDF-1.4 letter"), save=True)
    return activity


def test_a_collector_opens_their_own_accounts_pdf_and_not_anothers(accounts):
    from tests.collections_app.workflow import account, collector

    bob = collector("bob")
    theirs = _activity_with_pdf(account(bob, "Bobs Co"), bob)
    mine = _activity_with_pdf(accounts["acme"], accounts["owner"])
    cora = logged_in(accounts["owner"])

    own = cora.get(reverse("activity_document", args=[mine.pk]))
    other = cora.get(reverse("activity_document", args=[theirs.pk]))
    missing = cora.get(reverse("activity_document", args=[theirs.pk + 1000]))

    assert (own.status_code, own["Content-Type"]) == (200, "application/pdf")
    assert b"".join(own.streaming_content) == b"%PDF-1.4 letter"
    assert (other.status_code, missing.status_code) == (404, 404)
    assert other.content == missing.content
    assert (
        logged_in(accounts["manager"])
        .get(reverse("activity_document", args=[theirs.pk]))
        .status_code
        == 200
    )


def test_an_activity_without_a_pdf_is_a_404(accounts):
    note = workflow.note_add(actor=accounts["owner"], customer=accounts["acme"], note="no pdf")

    response = logged_in(accounts["owner"]).get(reverse("activity_document", args=[note.pk]))

    assert response.status_code == 404


def test_anonymous_is_sent_to_log_in_for_a_timeline_pdf(accounts):
    activity = _activity_with_pdf(accounts["acme"], accounts["owner"])
    path = reverse("activity_document", args=[activity.pk])

    response = Client().get(path)

    assert (response.status_code, response.url) == (302, f"/login/?next={path}")
