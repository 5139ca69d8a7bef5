"""Role-aware navigation for the base layout."""

from django.urls import reverse

from .selectors import sees_all_portfolios

# Apps above accounts add their own entries (credit: its inbox, with a count) by appending
# a function of the request that returns (label, url) pairs, in their AppConfig.ready().
nav_extensions: list = []


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


def _current(request, items) -> str:
    """The section the page belongs to; an account opened from the queue is still the queue."""
    if request.path.startswith("/customers/") and request.GET.get("from"):
        return "Queue"
    matches = [(len(url), label) for label, url in items if request.path.startswith(url)]
    return max(matches)[1] if matches else ""
