"""An export's parameters in words: the title line of the file and the history panel say
the same thing, names rather than ids."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model

from accounts.selectors import customers_for


def names_for(user, parameter_sets: Iterable[dict]) -> tuple[dict, dict]:
    """The collectors' and customers' names the parameters mention, in two queries at most;
    customers only within the user's reach."""
    sets = list(parameter_sets)
    collector_ids = {p["collector"] for p in sets if p.get("collector")}
    customer_ids = {p["customer"] for p in sets if p.get("customer")}
    collectors = {}
    if collector_ids:
        for person in get_user_model().objects.filter(pk__in=collector_ids):
            collectors[person.pk] = person.get_full_name() or person.username
    customers = {}
    if customer_ids:
        customers = dict(customers_for(user).filter(pk__in=customer_ids).values_list("pk", "name"))
    return collectors, customers


def describe(parameters: dict, collectors: dict, customers: dict) -> str:
    """Basis, currency of the amounts and every filter: "due date basis · amounts in USD ·
    collector Alice Avery · in dispute only", or "… · no filter"."""
    parts = [
        "invoice date basis" if parameters.get("basis") == "invoice" else "due date basis",
        f"amounts in {settings.REPORTING_CURRENCY}",
    ]
    filters = []
    if parameters.get("collector"):
        filters.append(f"collector {collectors.get(parameters['collector'], '—')}")
    if parameters.get("customer"):
        filters.append(f"customer {customers.get(parameters['customer'], parameters['customer'])}")
    if parameters.get("currency"):
        filters.append(f"currency {parameters['currency']}")
    if parameters.get("in_dispute") is not None:
        filters.append("in dispute only" if parameters["in_dispute"] else "not in dispute")
    return " · ".join(parts + (filters or ["no filter"]))
