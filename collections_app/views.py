"""Pages of the site. Customer pages live here, not in ``accounts``, because they show the
ledger too, and ``accounts`` must not import ``invoices``. The customer page itself is the
collector's workspace (``workspace_views``)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from accounts import roles
from accounts.filters import CustomerFilter
from accounts.selectors import customers_for
from invoices.selectors import customers_with_balances

# Where each role starts its day (the first of the user's roles in this order wins).
LANDING_PAGES = [
    (roles.COLLECTOR, "queue"),
    (roles.CREDIT_MANAGER, "credit_inbox"),
    (roles.CFO, "dashboard"),
    (roles.FINANCE, "aging"),
]


@login_required
def home(request):
    groups = set(request.user.groups.values_list("name", flat=True))
    for role, page in LANDING_PAGES:
        if role in groups:
            return redirect(page)
    return redirect("customer_list")


def healthz(request):
    """For the load balancer: the app answers and its database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
@permission_required("accounts.view_customer", raise_exception=True)
def customer_list(request):
    filterset = CustomerFilter(request.GET, queryset=customers_for(request.user))
    page = Paginator(customers_with_balances(filterset.qs), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "collections_app/customer_list.html",
        {"filterset": filterset, "page": page, "query": _query_without_page(request)},
    )


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
