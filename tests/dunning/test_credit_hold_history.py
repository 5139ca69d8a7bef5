"""A dunning level with the hold action puts the account on hold through credit's history:
the change says it came from dunning and which level, on the account's credit page and
timeline, like any other credit decision."""

from __future__ import annotations

import pytest

from collections_app.models import Activity
from credit.models import CreditChange, CreditReason
from dunning import services as dunning
from dunning.models import DunningLevel, EscalationAction

from .test_runs import book  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def test_a_level_with_the_hold_action_records_the_hold_in_credit_history(
    book,  # noqa: F811
    eager_celery,
    django_capture_on_commit_callbacks,
):
    DunningLevel.objects.filter(number=3).update(escalation_action=EscalationAction.CREDIT_HOLD)
    run = dunning.dunning_run_start(actor=book["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        dunning.dunning_run_approve(actor=book["manager"], run=run)

    bolt = book["bolt"]
    bolt.refresh_from_db()
    assert bolt.credit_status == "hold"
    change = CreditChange.objects.get(customer=bolt)
    level = DunningLevel.objects.filter(number=3).first()
    assert (change.status_before, change.status_after, change.reason, change.actor) == (
        "good",
        "hold",
        CreditReason.DUNNING,
        None,
    )
    assert change.comment == f"Dunning reached {level.name} (level 3)"
    line = Activity.objects.get(customer=bolt, kind="credit")
    assert line.summary == "Credit status: Good standing → Credit hold (Dunning level)"
    # Acme stayed at level 1: no hold, no history
    assert not CreditChange.objects.filter(customer=book["acme"]).exists()
