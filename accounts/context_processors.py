"""Role-aware navigation for the base layout."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections, router
from django.db.models import QuerySet
from django.urls import reverse

from .selectors import sees_all_portfolios

# Apps above accounts add their own entries (credit: its inbox, with a count) by appending
# a function of the request that returns (label, url) pairs or ``NavCount`` entries, in their
# AppConfig.ready().
nav_extensions: list = []


@dataclass(frozen=True)
class NavCount:
    """An entry whose label carries a count: ``rows`` is not run by the extension; the
    navigation counts every entry's rows together, in one SELECT, on every page."""

    label: str
    url: str
    rows: QuerySet


def counts_in_one_query(querysets: list[QuerySet]) -> list[int]:
    """``[qs.count() for qs in querysets]`` as one SELECT of scalar subqueries."""
    if not querysets:
        return []
    parts, params = [], []
    for index, queryset in enumerate(querysets):
        sql, part_params = queryset.order_by().query.sql_with_params()
        # the ORM compiled ``sql``; every value stays a bound parameter
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{index})")  # noqa: S608
        params.extend(part_params)
    alias = router.db_for_read(querysets[0].model)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return [int(n) for n in cursor.fetchone()]


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav_items": []}
    items = []
    if user.has_perm("accounts.view_customer"):
        items.append(("Queue", reverse("queue")))
    items.append(("Customers", reverse("customer_list")))
    if user.has_perm("accounts.view_all_portfolios"):
        items.append(("Team", reverse("team")))
    # the team view's dashboard; a collector's shows only their own figures
    if user.has_perm("invoices.view_invoice"):
        items.append(("Dashboard", reverse("dashboard")))
        items.append(("Invoices", reverse("invoice_list")))
        items.append(("Aging", reverse("aging")))
    if user.has_perm("invoices.view_payment"):
        items.append(("Payments", reverse("payment_list")))
    # a run covers every portfolio: its pages need the team view too
    if user.has_perms(["dunning.view_dunningrun", "accounts.view_all_portfolios"]):
        items.append(("Dunning", reverse("dunning_runs")))
    for extension in nav_extensions:
        items.extend(extension(request))
    counted = iter(counts_in_one_query([e.rows for e in items if isinstance(e, NavCount)]))
    items = [
        _labelled(entry, next(counted)) if isinstance(entry, NavCount) else entry for entry in items
    ]
    items.append(("API", reverse("api_docs")))
    if user.is_staff:
        items.append(("Admin", reverse("admin:index")))
    role = ", ".join(sorted(g.name for g in user.groups.all())) or (
        "Superuser" if user.is_superuser else ""
    )
    return {
        "nav_items": items,
        "nav_current": _current(request, items),
        "nav_role": role,
        "nav_team_view": sees_all_portfolios(user),
    }


def _labelled(entry: NavCount, count: int) -> tuple[str, str]:
    return (f"{entry.label} ({count})" if count else entry.label, entry.url)


def _current(request, items) -> str:
    """The section the page belongs to; an account opened from the queue is still the queue."""
    if request.path.startswith("/customers/") and request.GET.get("from"):
        return "Queue"
    matches = [(len(url), label) for label, url in items if request.path.startswith(url)]
    return max(matches)[1] if matches else ""
