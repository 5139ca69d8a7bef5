"""120 nights of dunning over a small book, each night a nightly run that sends straight away
with the clock frozen on that day: every invoice climbs one level at a time, one letter per
level, in order, with the policy's gaps; an old book starts at level 1; a 4.95 balance never
drives a letter; only a policy with catch-up skips levels."""

from __future__ import annotations

import datetime
from collections import defaultdict

import pytest
from django.utils import timezone

from accounts.models import ExchangeRate
from collections_app.models import Escalation, EscalationStatus, FollowUp
from collections_app.services.escalations import escalation_resolve
from dunning import services as dunning
from dunning.models import (
    DunningCommunication,
    DunningLevel,
    DunningLine,
    DunningPolicy,
    DunningRunTrigger,
    InvoiceDunningStep,
)
from tests.collections_app.workflow import account, collector, credit_manager
from tests.dunning.pages import ensure_dunning_defaults
from tests.factories import ContactFactory, invoice

pytestmark = pytest.mark.django_db

NIGHTS = 120
START = timezone.localdate() - datetime.timedelta(days=NIGHTS + 5)


def day(n: int) -> datetime.date:
    return START + datetime.timedelta(days=n)


def late_on_day_zero(customer, amount, late, number, **kw):
    """An invoice already ``late`` days past due on the first night (net 30)."""
    issued = START - datetime.timedelta(days=late + 30)
    return invoice(customer, amount, number=number, issue_date=issued, due_days=30, **kw)


@pytest.fixture
def book(settings):
    settings.DUNNING_REQUIRE_APPROVAL = False
    ensure_dunning_defaults()
    owner = collector("cora")
    manager = credit_manager("carla")
    ExchangeRate.objects.create(
        currency_id="GBP", quote_currency_id="USD", valid_from=START, rate="1.25"
    )

    def customer(name):
        c = account(owner, name, billing_address=f"1 {name} Road\nTown")
        ContactFactory(customer=c, email=f"ap@{name.lower()}.example", is_primary=True)
        return c

    fresh, old, later, hurried = (customer(n) for n in ("Fresh", "Old", "Later", "Hurried"))
    invoices = {
        "FRESH-1": late_on_day_zero(fresh, "500.00", 5, "FRESH-1"),
        # An old book never dunned: 300 days late, next to a 4.95 GBP crumb 310 days old.
        "OLD-1": late_on_day_zero(old, "300.00", 300, "OLD-1"),
        "OLD-CRUMB": late_on_day_zero(old, "4.95", 310, "OLD-CRUMB", currency="GBP"),
        # Issued on night 10, due on night 40.
        "LATER-1": invoice(later, "400.00", number="LATER-1", issue_date=day(10), due_days=30),
        "HURRIED-1": late_on_day_zero(hurried, "600.00", 45, "HURRIED-1"),
    }
    standard = DunningPolicy.objects.get(is_default=True)
    catch_up = DunningPolicy.objects.create(name="Catch-up", catch_up=True)
    for level in standard.levels.all():
        level.pk, level.policy = None, catch_up
        level.save()
    dunning.dunning_policy_assign(actor=manager, customer=hurried, policy=catch_up)
    return {"manager": manager, "invoices": invoices}


def run_nights(book, monkeypatch, capture) -> None:
    for n in range(NIGHTS + 1):
        now = timezone.make_aware(datetime.datetime.combine(day(n), datetime.time(1, 0)))
        monkeypatch.setattr(timezone, "now", lambda now=now: now)
        # The credit manager reads yesterday's escalations and lets dunning go on.
        for escalation in Escalation.objects.filter(status=EscalationStatus.OPEN):
            escalation_resolve(
                actor=book["manager"], escalation=escalation, resolution="Reviewed: go on"
            )
        with capture(execute=True):
            dunning.dunning_run_start(actor=None, trigger=DunningRunTrigger.NIGHTLY, as_of=day(n))


def moves() -> dict[str, list[tuple[int, int]]]:
    """Per invoice: (night, level) of every letter that moved it up."""
    out = defaultdict(list)
    rows = (
        DunningLine.objects.filter(communication__status="sent")
        .order_by("communication__run__as_of", "invoice__number")
        .values_list(
            "invoice__number", "communication__run__as_of", "level_number", "previous_level_number"
        )
    )
    for number, as_of, level, previous in rows:
        if level > previous:
            out[number].append(((as_of - START).days, level))
    return dict(out)


def test_120_nights_climb_one_level_at_a_time_with_the_policy_gaps(
    book, monkeypatch, eager_celery, django_capture_on_commit_callbacks
):
    gaps = dict(
        DunningLevel.objects.filter(policy__is_default=True).values_list(
            "number", "minimum_days_since_previous"
        )
    )
    assert gaps == {1: 0, 2: 10, 3: 10, 4: 14}

    run_nights(book, monkeypatch, django_capture_on_commit_callbacks)

    assert moves() == {
        # day 1 past due on night -4: level 1 on the first night, then trigger days and gaps
        "FRESH-1": [(0, 1), (10, 2), (25, 3), (55, 4)],
        # 300 days late and never reminded: level 1 first, then one level per gap
        "OLD-1": [(0, 1), (10, 2), (20, 3), (34, 4)],
        # due on night 40: day 1 → 41, day 15 → 55, day 30 → 70, day 60 → 100
        "LATER-1": [(41, 1), (55, 2), (70, 3), (100, 4)],
        # catch-up: 45 days late → straight to the final demand, the notice 14 days later
        "HURRIED-1": [(0, 3), (15, 4)],
    }
    sent = list(
        DunningCommunication.objects.filter(status="sent")
        .order_by("run__as_of", "customer__name")
        .values_list("customer__name", "level__number", "channel")
    )
    assert len(sent) == 14  # one communication per level per customer, never a repeat
    assert ("Old", 1, "email") in sent and ("Old", 4, "letter") in sent
    # The crumb rode along as information only, never moving, never driving the level.
    crumb = DunningLine.objects.filter(invoice__number="OLD-CRUMB")
    assert set(crumb.values_list("informational", "level_number")) == {(True, 0)}
    assert not InvoiceDunningStep.objects.filter(invoice__number="OLD-CRUMB").exists()
    # Levels really sent are the history the next level and the letters rely on.
    steps = defaultdict(list)
    for number, level, sent_on in InvoiceDunningStep.objects.order_by("sent_on").values_list(
        "invoice__number", "level_number", "sent_on"
    ):
        steps[number].append(((sent_on - START).days, level))
    assert dict(steps) == moves()
    # Escalations went to the credit manager's list, not to the collector's queue.
    assert Escalation.objects.filter(assigned_to=book["manager"]).count() == 8
    assert not FollowUp.objects.exists()
